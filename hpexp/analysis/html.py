"""The report page: PNG plots and one self-contained ``index.html`` with the full table."""

import html
from pathlib import Path

import pandas as pd

from hpexp.analysis.plots import write_plots
from hpexp.analysis.stats import summarize
from hpexp.analysis.tables import readable

INDEX = "index.html"


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
