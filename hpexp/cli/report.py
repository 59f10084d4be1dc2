"""``python -m hpexp.report PATH [--out DIR]`` and ``python -m hpexp.report --compare A B``
(:mod:`hpexp.cli.compare`), and the report every sweep writes at its end.

A report is each workload's summary table and verdict on stdout, plus a directory with PNG
plots and an ``index.html``: where and how the rows were measured, then one section per
workload with its verdict, table and figures.
"""

import argparse
import sys
from pathlib import Path
from typing import NoReturn

import pandas as pd

from hpexp.analysis.tables import as_text, without_empty_columns
from hpexp.analysis.verdict import WorkloadResults, by_workload
from hpexp.api.sweep_report import REPORT_DIR, commands_of
from hpexp.cli.compare import CANNOT_COMPARE, Paths, compare_frames, fail_slower
from hpexp.cli.one_line_warnings import print_hpexp_warnings_as_one_line
from hpexp.core.errors import ConfigError, HpexpError, one_line
from hpexp.results.store import load_results
from hpexp.results.timeline import load_timelines

#: left out of the terminal table to keep it readable (the HTML page has them)
HTML_ONLY = ["mean_s", "std_s"]
USAGE = (
    "python -m hpexp.report PATH [--out DIR] | --compare A B [--fail-slower PCT] "
    "[--only-changed] [--out DIR]"
)
DESCRIPTION = "Report results (tables, verdicts, plots, index.html), or compare B against A."
WHERE = "a results file, job dir, sweep dir or results root with results"


def _load(path: str) -> pd.DataFrame:
    try:
        frame = load_results(path)
    except FileNotFoundError:
        raise ConfigError("PATH", path, WHERE) from None
    if frame.empty:
        raise ConfigError("PATH", path, WHERE)
    return frame


def print_verdicts(parts: list[WorkloadResults]) -> None:
    """Close a terminal summary with each workload's verdict, as the report page opens with it."""
    for part in parts:
        print(f"hpexp: {part.workload}: {part.verdict}")


def report(path: str, out: str | None) -> None:
    frame = _load(path)
    root = Path(path)
    out_dir = Path(out) if out else _report_dir(path)
    parts = by_workload(frame)
    for part in parts:
        print(as_text(without_empty_columns(part.summary.drop(columns=HTML_ONLY))))
    print_verdicts(parts)
    from hpexp.analysis.html import write_report  # matplotlib: only when drawing

    timeline = load_timelines(path)
    index = write_report(frame, parts, out_dir, str(root), commands_of(root), timeline)
    print(f"hpexp: report in {index}", file=sys.stderr)


def _report_dir(path: str) -> Path:
    """Where a report of ``path`` (a results dir or file) goes by default."""
    root = Path(path)
    return (root if root.is_dir() else root.parent) / REPORT_DIR


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        """Usage errors as one line, like every other hpexp error."""
        self.exit(ConfigError.exit_code, f"hpexp: {message} (usage: {USAGE})\n")


def _compared(roots: list[str], out: str | None, slower: str | None, only_changed: bool) -> int:
    """The comparison's exit code: 0, the gate's 1 (a regression) or 2 (undecided), or
    :data:`CANNOT_COMPARE` when the roots cannot be compared or the comparison not written, so
    that 1 means a regression and nothing else."""
    a, b = roots
    threshold = None if slower is None else fail_slower(slower)
    try:
        paths = Paths(a, b, Path(out) if out else _report_dir(b))
        return compare_frames(_load(a), _load(b), paths, threshold, only_changed)
    except ConfigError:
        raise
    except (HpexpError, OSError) as exc:
        why = str(exc) if isinstance(exc, HpexpError) else one_line(exc)
        print(f"hpexp: cannot compare: {why}", file=sys.stderr)
        return CANNOT_COMPARE


def main(argv: list[str] | None = None) -> None:
    print_hpexp_warnings_as_one_line()
    parser = _Parser(prog="python -m hpexp.report", description=DESCRIPTION)
    parser.add_argument("path", nargs="?", metavar="PATH", help=WHERE)
    parser.add_argument(
        "--out",
        metavar="DIR",
        help="where to write (default: PATH/report; with --compare: B/report)",
    )
    parser.add_argument("--compare", nargs=2, metavar=("A", "B"), help="compare B against A")
    parser.add_argument(
        "--fail-slower",
        metavar="PCT",
        help="with --compare: exit 1 when a configuration of B is significantly slower than A "
        "by more than PCT (such as 5%%), exit 2 when too few runs can decide, exit 3 when A and B "
        "cannot be compared",
    )
    parser.add_argument(
        "--only-changed",
        action="store_true",
        help="with --compare: print only configurations significantly faster or slower",
    )
    args = parser.parse_args(argv)
    if (args.path is None) == (args.compare is None):
        parser.error("give either PATH or --compare A B")
    if not args.compare and (args.fail_slower is not None or args.only_changed):
        parser.error("--fail-slower and --only-changed apply to --compare A B")
    try:
        if args.compare:
            sys.exit(_compared(args.compare, args.out, args.fail_slower, args.only_changed))
        report(args.path, args.out)
    except HpexpError as exc:
        print(f"hpexp: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
