"""The report page: one self-contained ``index.html`` with PNG plots beside it.

The page opens with where and how the numbers were measured, then gives each workload its own
section: a verdict computed from its data, its table (only the parameters that vary within
that workload, so another workload's keys never show up as ``nan``) and its figures.
"""

import html
from pathlib import Path

import pandas as pd

from hpexp.analysis.contention import MIN_TIMED_S, SLOWED, THROTTLED_SHARE
from hpexp.analysis.plots import compares_impls, impl_speedups, write_plots
from hpexp.analysis.tables import informative_columns, readable
from hpexp.analysis.verdict import WorkloadResults
from hpexp.core.quiet import CONTENDED_CPUS

INDEX = "index.html"
#: the environment block: label, column
ENVIRONMENT = [
    ("machine", "hostname"),
    ("CPU", "cpu_model"),
    ("CPUs", "cpu_count"),
    ("usable CPUs", "usable_cpus"),
    ("CPU quota", "cpu_quota"),
    ("governor", "cpu_governor"),
    ("platform", "platform"),
    ("Python", "python_version"),
    ("hpexp", "hpexp_version"),
    ("launcher", "launcher"),
]
STYLE = """
body { font-family: sans-serif; margin: 2em; max-width: 1500px; }
table { border-collapse: collapse; font-size: 0.85em; }
th, td { padding: 0.2em 0.6em; text-align: right; }
table.summary tr:nth-child(even) { background: #f3f3f3; }
table.environment th { text-align: left; }
.scroll { overflow-x: auto; }
p.verdict { font-size: 1.1em; background: #eef4fb; padding: 0.6em 0.8em; }
figure { margin: 1em 0; }
img { width: 100%; }
"""


def _values(frame: pd.DataFrame, column: str) -> str:
    if column not in frame:
        return "-"
    values = [str(v) for v in dict.fromkeys(frame[column].dropna())]
    return ", ".join(values) if values else "-"


def environment(frame: pd.DataFrame, commands: list[str]) -> str:
    """Where, when and with what the rows were measured, as a small table."""
    rows = [(label, _values(frame, column)) for label, column in ENVIRONMENT]
    if "started_at" in frame and frame["started_at"].notna().any():
        first, last = frame["started_at"].min(), frame["started_at"].max()
        rows.append(("measured", f"{first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M} UTC"))
    rows += [("command", command) for command in commands]
    cells = "\n".join(
        f"<tr><th>{html.escape(label)}</th><td style='text-align:left'>"
        f"<code>{html.escape(value)}</code></td></tr>"
        for label, value in rows
    )
    return f'<table class="environment">\n{cells}\n</table>'


def section(part: WorkloadResults, out_dir: Path, timeline: pd.DataFrame | None = None) -> str:
    """One workload's verdict, table and figures (written into ``out_dir``), its timeline's
    among them."""
    if timeline is not None:
        timeline = timeline[timeline["workload"] == part.workload]
    plots = write_plots(part.rows, part.summary, out_dir, timeline)
    shown = informative_columns(part.summary).drop(columns="workload")  # the heading says it
    table = readable(shown).to_html(index=False, border=0, classes="summary")
    matrix = ""
    if compares_impls(part.summary, part.workload):
        speedups = impl_speedups(part.summary, part.workload).rename_axis(index=None)
        baseline = html.escape(str(speedups.index[0]))
        matrix = (
            f"<p>Times faster than <code>impl={baseline}</code> on the same executor and "
            "workers:</p>"
            + speedups.map(lambda x: "-" if pd.isna(x) else f"{x:.1f}x").to_html(
                border=0, classes="summary"
            )
        )
    images = "\n".join(
        f'<figure><img src="{html.escape(p.name)}" alt="{html.escape(p.stem)}"></figure>'
        for p in plots
    )
    return f"""<section>
<h2>{html.escape(part.workload)}</h2>
<p class="verdict">{html.escape(part.verdict)}</p>
<div class="scroll">{table}</div>
<div class="scroll">{matrix}</div>
{images}
</section>"""


def render_index(
    title: str,
    frame: pd.DataFrame,
    parts: list[WorkloadResults],
    out_dir: Path,
    commands: list[str],
    timeline: pd.DataFrame | None = None,
) -> str:
    sections = "\n".join(section(part, out_dir, timeline) for part in parts)
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>hpexp report: {html.escape(title)}</title>
<style>{STYLE}</style></head>
<body>
<h1>hpexp report: {html.escape(title)}</h1>
{environment(frame, commands)}
<p>Statistics of <code>wall_s</code> over ok runs. ci95_s: 95% interval of the median (shown
from 6 runs); cv: std / mean, <em>noisy</em> above 10%; speedup: vs workers=1 of the same
executor and parameters, with rounds the median of the per-round ratios and [its interval
across rounds]; speedup_vs_serial: vs the serial executor at workers=1; efficiency:
speedup / workers. foreign_cpus: the CPUs other programs used during the runs (given from
{MIN_TIMED_S:g} s of runs); throttled_s: the time a cgroup CPU quota held the runs back;
machine_speed: the sweep's typical CPU probe over this configuration's; contended: other work
above {CONTENDED_CPUS} of a CPU, throttling above {THROTTLED_SHARE:.0%} of the wall time, a
machine_speed below {SLOWED}, or jobs of the sweep that overlapped on one host, so the timing may
be consistently slow rather than noisy.</p>
{sections}
</body></html>
"""


def write_report(
    frame: pd.DataFrame,
    parts: list[WorkloadResults],
    out_dir: Path,
    title: str,
    commands: list[str] | None = None,
    timeline: pd.DataFrame | None = None,
) -> Path:
    """Write the plots and ``index.html`` for ``frame`` (split into ``parts`` by
    :func:`hpexp.analysis.verdict.by_workload`) and its ``timeline`` into ``out_dir``; returns
    the page."""
    out_dir.mkdir(parents=True, exist_ok=True)
    index = out_dir / INDEX
    page = render_index(title, frame, parts, out_dir, commands or [], timeline)
    index.write_text(page, encoding="utf-8")
    return index
