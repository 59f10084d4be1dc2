"""``python -m hpexp.report PATH [--out DIR]`` and ``python -m hpexp.report --compare A B``.

A report is the summary table on stdout plus a directory with PNG plots and an ``index.html``
that shows the full table and every plot on one page. A comparison prints, per configuration
found in both A and B, the ratio of medians and whether the difference is significant.
"""

import argparse
import html
import sys
from pathlib import Path
from typing import NoReturn

import pandas as pd

from hpexp.analysis import ALPHA, compare, summarize
from hpexp.errors import ConfigError, HpexpError
from hpexp.plots import write_plots
from hpexp.results import load_results
from hpexp.summary import as_text, readable

INDEX = "index.html"
REPORT_DIR = "report"
#: left out of the terminal table to keep it readable (the HTML page has them)
HTML_ONLY = ["mean_s", "std_s"]
USAGE = "python -m hpexp.report PATH [--out DIR] | --compare A B"
WHERE = "a results file, job dir, sweep dir or results root with results"


def render_index(title: str, summary: pd.DataFrame, plots: list[Path]) -> str:
    """One self-contained page: the full summary table, then every plot by relative name."""
    table = readable(summary).to_html(index=False, border=0, classes="summary")
    images = "\n".join(
        f'<figure><img src="{html.escape(p.name)}" alt="{html.escape(p.stem)}"></figure>'
        for p in plots
    )
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>hpexp report: {html.escape(title)}</title>
<style>
body {{ font-family: sans-serif; margin: 2em; }}
table.summary {{ border-collapse: collapse; font-size: 0.85em; }}
table.summary th, table.summary td {{ padding: 0.2em 0.6em; text-align: right; }}
table.summary tr:nth-child(even) {{ background: #f3f3f3; }}
img {{ max-width: 100%; }}
</style></head>
<body>
<h1>hpexp report: {html.escape(title)}</h1>
<p>Statistics of <code>wall_s</code> over ok runs; ci95_s: 95% interval of the median (needs
at least 6 runs); cv: std / mean, <em>noisy</em> above 10%; speedup: vs workers=1 of the same
executor; speedup_vs_serial: vs the serial executor at workers=1.</p>
{table}
{images}
</body></html>
"""


def write_report(frame: pd.DataFrame, out_dir: Path, title: str) -> Path:
    """Write the plots and ``index.html`` for ``frame`` into ``out_dir``; returns the page."""
    return write_summary_report(frame, summarize(frame), out_dir, title)


def write_summary_report(
    frame: pd.DataFrame, summary: pd.DataFrame, out_dir: Path, title: str
) -> Path:
    """:func:`write_report` with the summary already computed."""
    plots = write_plots(frame, summary, out_dir)
    index = out_dir / INDEX
    index.write_text(render_index(title, summary, plots), encoding="utf-8")
    return index


def _load(path: str) -> pd.DataFrame:
    try:
        frame = load_results(path)
    except FileNotFoundError:
        raise ConfigError("PATH", path, WHERE) from None
    if frame.empty:
        raise ConfigError("PATH", path, WHERE)
    return frame


def report(path: str, out: str | None) -> None:
    frame = _load(path)
    root = Path(path)
    out_dir = Path(out) if out else (root if root.is_dir() else root.parent) / REPORT_DIR
    summary = summarize(frame)
    print(as_text(summary.drop(columns=HTML_ONLY)))
    index = write_summary_report(frame, summary, out_dir, str(root))
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


if __name__ == "__main__":
    main()
