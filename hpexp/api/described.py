"""Any error hpexp reports, as one line and the exit code it means."""

from hpexp.api.hydra_errors import describe_hydra_error, is_hydra_error
from hpexp.core.errors import HpexpError


def described(exc: BaseException) -> tuple[str, int]:
    """``exc`` as one line (without the ``hpexp:`` prefix) and the exit code it means."""
    if isinstance(exc, HpexpError):
        return str(exc), exc.exit_code
    if is_hydra_error(exc):
        return describe_hydra_error(exc), 2
    if isinstance(exc, OSError) and exc.filename:
        message = f"cannot write '{exc.filename}': {exc.strerror}"
        return f"{message} (results_dir must be a writable directory)", 2
    name = type(exc).__name__
    return f"unexpected {name}: {exc} (set HYDRA_FULL_ERROR=1 for the traceback)", 1
