"""Progress lines on stderr, only once a job has run long enough for a user to wonder."""

import sys
import time

#: a job quieter than this prints nothing
QUIET_FOR_S = 2.0
#: and after that, at most one line per this many seconds (plus the last one)
EVERY_S = 1.0


class Progress:
    """Printed between measured runs, never inside the timed region."""

    def __init__(self, label: str, enabled: bool = True) -> None:
        self.label, self.enabled = label, enabled
        self.started = self.last = time.perf_counter()

    def update(self, done: int, total: int, what: str = "repeat") -> None:
        now = time.perf_counter()
        elapsed = now - self.started
        final = done == total
        if not self.enabled or elapsed < QUIET_FOR_S or (now - self.last < EVERY_S and not final):
            return
        self.last = now
        print(
            f"hpexp: {self.label} {what} {done}/{total}, {elapsed:.1f} s elapsed", file=sys.stderr
        )
