"""``python -m hpexp.report PATH [--out DIR]`` and ``python -m hpexp.report --compare A B``,
and the report every sweep writes at its end.

A report is each workload's summary table and verdict on stdout, plus a directory with PNG
plots and an ``index.html``: where and how the rows were measured, then one section per
workload with its verdict, table and figures. A comparison prints, per configuration
found in both A and B, the ratio of medians and whether the difference is significant.
"""

import argparse
import sys
from pathlib import Path
from typing import NoReturn

import pandas as pd
from omegaconf import OmegaConf

from hpexp.analysis.stats import ALPHA, compare
from hpexp.analysis.tables import as_text, without_empty_columns
from hpexp.analysis.verdict import WorkloadResults, by_workload
from hpexp.cli.run_report import print_hpexp_warnings_as_one_line
from hpexp.core.errors import ConfigError, HpexpError
from hpexp.results.store import load_results

REPORT_DIR = "report"
#: left out of the terminal table to keep it readable (the HTML page has them)
HTML_ONLY = ["mean_s", "std_s"]
USAGE = "python -m hpexp.report PATH [--out DIR] | --compare A B"
WHERE = "a results file, job dir, sweep dir or results root with results"


def _load(path: str) -> pd.DataFrame:
    try:
        frame = load_results(path)
    except FileNotFoundError:
        raise ConfigError("PATH", path, WHERE) from None
    if frame.empty:
        raise ConfigError("PATH", path, WHERE)
    return frame


#: the report's environment block lists at most this many command lines
MAX_COMMANDS = 10


def commands_of(root: Path) -> list[str]:
    """The command lines that made the results under ``root``: each sweep's (its
    ``multirun.yaml``) and each single run's (its ``.hydra/overrides.yaml``)."""
    base = root if root.is_dir() else root.parent
    commands = []
    for sweep in sorted(base.rglob("multirun.yaml")):
        task = OmegaConf.load(sweep).hydra.overrides.task
        commands.append(" ".join(["python -m hpexp", *task, "-m"]))
    for run in sorted(base.rglob(".hydra/overrides.yaml")):
        if not (run.parent.parent.parent / "multirun.yaml").exists():
            commands.append(" ".join(["python -m hpexp", *OmegaConf.load(run)]))
    if len(commands) > MAX_COMMANDS:
        more = len(commands) - MAX_COMMANDS
        return [*commands[:MAX_COMMANDS], f"... and {more} more"]
    return commands


def print_verdicts(parts: list[WorkloadResults]) -> None:
    """Close a terminal summary with each workload's verdict, as the report page opens with it."""
    for part in parts:
        print(f"hpexp: {part.workload}: {part.verdict}")


def report(path: str, out: str | None) -> None:
    frame = _load(path)
    root = Path(path)
    out_dir = Path(out) if out else (root if root.is_dir() else root.parent) / REPORT_DIR
    parts = by_workload(frame)
    for part in parts:
        print(as_text(without_empty_columns(part.summary.drop(columns=HTML_ONLY))))
    print_verdicts(parts)
    from hpexp.analysis.html import write_report  # matplotlib: only when drawing

    index = write_report(frame, parts, out_dir, str(root), commands_of(root))
    print(f"hpexp: report in {index}", file=sys.stderr)


def write_sweep_report(frame: pd.DataFrame, parts: list[WorkloadResults], sweep_dir: Path) -> None:
    """Write a sweep's report; a failure is a warning, never a lost result or a failed sweep."""
    try:
        # here, not at the top: matplotlib costs every run's startup; a broken install only warns
        from hpexp.analysis.html import write_report

        commands = commands_of(sweep_dir)
        index = write_report(frame, parts, sweep_dir / REPORT_DIR, str(sweep_dir), commands)
    except Exception as exc:
        print(f"hpexp: warning: no report for {sweep_dir}: {exc!r}", file=sys.stderr)
    else:
        print(f"hpexp: report in {index}", file=sys.stderr)


def compare_paths(a: str, b: str) -> None:
    comparison = compare(_load(a), _load(b))
    if comparison.empty:
        raise HpexpError(f"no configuration of '{a}' is also in '{b}'")
    print(as_text(comparison))
    print(
        f"hpexp: ratio = median of B / median of A; verdict for B from a two-sided "
        f"Mann-Whitney U test at alpha {ALPHA}",
        file=sys.stderr,
    )


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        """Usage errors as one line, like every other hpexp error."""
        self.exit(ConfigError.exit_code, f"hpexp: {message} (usage: {USAGE})\n")


def main(argv: list[str] | None = None) -> None:
    print_hpexp_warnings_as_one_line()
    parser = _Parser(prog="python -m hpexp.report", description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", metavar="PATH", help=WHERE)
    parser.add_argument("--out", metavar="DIR", help="where to write (default: PATH/report)")
    parser.add_argument("--compare", nargs=2, metavar=("A", "B"), help="compare B against A")
    args = parser.parse_args(argv)
    if (args.path is None) == (args.compare is None):
        parser.error("give either PATH or --compare A B")
    if args.compare and args.out:
        parser.error("--out applies to a report, not to --compare")
    try:
        if args.compare:
            compare_paths(*args.compare)
        else:
            report(args.path, args.out)
    except HpexpError as exc:
        print(f"hpexp: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
