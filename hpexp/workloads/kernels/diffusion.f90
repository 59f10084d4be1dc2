! One step of the 2D diffusion of the book's chapter 7 (its f2py route), on a periodic grid and
! in numpy's order of operations: the parentheses fix the order of the additions, so the grid
! is the numpy solver's bit for bit. Arrays are Fortran-ordered (column-major), as f2py expects.
! `threadsafe` makes f2py release the GIL for the call.
subroutine diffusion_step(grid, out, d_dt, rows, cols)
    implicit none
    integer, intent(in) :: rows, cols
    double precision, intent(in) :: grid(rows, cols), d_dt
    double precision, intent(inout) :: out(rows, cols)
    !f2py threadsafe
    !f2py intent(in) :: grid
    !f2py intent(inplace) :: out
    !f2py intent(hide), depend(grid) :: rows = shape(grid, 0), cols = shape(grid, 1)
    integer :: i, j, up, down, left, right
    double precision :: laplacian
    do j = 1, cols
        left = modulo(j - 2, cols) + 1
        right = modulo(j, cols) + 1
        do i = 1, rows
            up = modulo(i - 2, rows) + 1
            down = modulo(i, rows) + 1
            laplacian = (((grid(up, j) + grid(down, j)) + grid(i, left)) + grid(i, right)) &
                        - 4.0d0 * grid(i, j)
            out(i, j) = grid(i, j) + d_dt * laplacian
        end do
    end do
end subroutine diffusion_step
