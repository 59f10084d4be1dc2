"""A task for the start-method test, in a module of its own: a spawned worker imports only this
(the test module would cost it pytest, pandas and hpexp's tests, 2 s)."""

#: changed in the parent before a pool starts: a forked worker has the change, a spawned one not
PARENT_MARK: list[str] = []


def parent_mark(_: int) -> list[str]:
    return PARENT_MARK
