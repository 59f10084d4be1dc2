"""Progress lines on stderr: after every run (warmup too) once a job has run long enough for a
user to wonder, each with the time left estimated from the runs so far."""

import sys
import time

#: a job quieter than this prints nothing
QUIET_FOR_S = 2.0
#: and after that, at most one line per this many seconds (plus the last one)
EVERY_S = 1.0


def duration(seconds: float) -> str:
    """``45 s``, ``3 min 20 s``, ``2 h 5 min``: what a person reads, not a float."""
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs} s"
    return f"{minutes // 60} h {minutes % 60} min"


class Progress:
    """Printed between measured runs, never inside the timed region."""

    def __init__(self, label: str, enabled: bool = True) -> None:
        self.label, self.enabled = label, enabled
        self.started = self.last = self.runs_started = time.perf_counter()
        self.runs = self.done = 0

    def plan(self, runs: int) -> None:
        """The job's runs (warmup and measured) start now, after its setup."""
        self.runs, self.done = runs, 0
        self.runs_started = time.perf_counter()

    def run_done(self, what: str, number: int, of: int) -> None:
        """Run ``number`` of ``of`` (``what``: ``warmup`` or ``repeat``) has finished."""
        self.done += 1
        now = time.perf_counter()
        elapsed = now - self.started
        final = self.done >= self.runs
        if not self.enabled or elapsed < QUIET_FOR_S or (now - self.last < EVERY_S and not final):
            return
        self.last = now
        line = f"hpexp: {self.label} {what} {number}/{of}, {duration(elapsed)} elapsed"
        if not final:
            left = (now - self.runs_started) / self.done * (self.runs - self.done)
            line += f", about {duration(left)} left"
        print(line, file=sys.stderr)
