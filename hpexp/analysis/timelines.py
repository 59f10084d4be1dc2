"""The figures drawn from a sweep's timelines (:mod:`hpexp.results.timeline`), one panel per
configuration, each its first measured run:

* the book's call timeline (2nd edition ``08_concurrency/cralwer/visualize.py`` and
  ``workload.py: async_callgraph``): one line per span, from its start to its end, the spans
  numbered by when they started, so serial requests stack end to end and asyncio's hundred
  run side by side; a workload's own kinds of span (requests; hashes and saves) get a colour
  each;
* the 3rd edition's per-core heat map (``10_multiprocessing/.../cpu_usage``): each CPU's busy
  share over the run, where threads on pure Python keep one CPU busy in total.

No workload is named: a figure is drawn for whatever spans and samples the timeline holds.
"""

import math

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from hpexp.results.timeline import CPU

#: panels per figure, and per row of panels
MAX_PANELS = 12
PANELS_PER_ROW = 3
#: spans drawn per panel: the first by start (the book draws 25 tasks of its call graph)
MAX_SPANS = 1000
#: what tells configurations apart (and is the same for all of one workload)
CONFIGURATION = ["executor", "workers", "overrides"]
#: what tells one measured run from every other
RUN = ["sweep_id", "job", "repeat"]
#: a run's heat map needs this many reads of the CPUs
MIN_READS = 3


def first_runs(timeline: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """Each configuration's first measured run (its first job's lowest repeat), labelled by
    its executor, workers and the overrides that differ between the configurations."""
    if timeline.empty:
        return []
    firsts = timeline.sort_values(["job", "repeat"]).drop_duplicates(CONFIGURATION)
    varying = _varying_overrides(firsts["overrides"])
    shown = firsts.sort_values(["executor", "workers", "job"]).head(MAX_PANELS)
    by_run = dict(list(timeline.groupby(RUN, observed=True, sort=False)))
    runs = []
    for _, first in shown.iterrows():
        items = [i for i in str(first["overrides"]).split(",") if i in varying]
        label = ", ".join([f"{first['executor']}, {counted(first['workers'], 'worker')}", *items])
        runs.append((label, by_run[tuple(first[RUN])]))
    return runs


def counted(count: int, noun: str) -> str:
    """``1 request``, ``100 requests``, ``9 hashes``."""
    plural = noun + ("es" if noun.endswith(("s", "sh", "ch", "x")) else "s")
    return f"{count} {noun if count == 1 else plural}"


def _varying_overrides(overrides: pd.Series) -> set[str]:
    """The ``key=value`` items that some configurations have and others not, less the ones the
    label says anyway (executor, workers) and the workload's name."""
    sets = [set(str(o).split(",")) for o in overrides]
    every = set.intersection(*sets) if sets else set()
    said = ("executor=", "workers=", "workload=")
    return {item for s in sets for item in s - every if not item.startswith(said)}


def _grid(count: int, height: float) -> tuple[Figure, list]:
    columns = min(count, PANELS_PER_ROW)
    rows = math.ceil(count / columns)
    figure = Figure(figsize=(4.6 * columns + 1.5, height * rows + 0.6), layout="constrained")
    FigureCanvasAgg(figure)
    panels = figure.subplots(rows, columns, squeeze=False).ravel()
    for unused in panels[count:]:
        unused.set_visible(False)
    return figure, list(panels[:count])


def most_in_flight(spans: pd.DataFrame) -> int:
    """The most spans open at one moment: an end at the very moment of a start counts first."""
    events = np.concatenate([spans["start_s"].to_numpy(), spans["end_s"].to_numpy()])
    steps = np.concatenate([np.ones(len(spans)), -np.ones(len(spans))])
    order = np.lexsort((steps, events))
    return int(np.cumsum(steps[order]).max()) if len(spans) else 0


def span_timeline(timeline: pd.DataFrame, workload: str) -> Figure:
    """One panel per configuration: each span a line from its start to its end, numbered by
    start, a colour per kind; the title says how many were in flight at most."""
    spans = timeline[timeline["kind"] != CPU]
    runs = first_runs(spans)
    figure, panels = _grid(len(runs), 3.4)
    kinds = list(dict.fromkeys(spans["kind"].astype(str)))
    colours = {kind: f"C{number % 10}" for number, kind in enumerate(kinds)}
    for axes, (label, run) in zip(panels, runs, strict=True):
        total = len(run)
        run = run.sort_values("start_s").head(MAX_SPANS)
        number = np.arange(len(run))
        for kind, part in run.groupby(run["kind"].astype(str), sort=False):
            y = number[(run["kind"].astype(str) == kind).to_numpy()]
            segments = np.stack(
                [np.column_stack([part["start_s"], y]), np.column_stack([part["end_s"], y])], 1
            )
            axes.add_collection(LineCollection(segments, colors=colours[kind], label=kind))
        axes.autoscale()
        axes.set_xlim(left=0)
        shown = f"(the first {MAX_SPANS} of {total})" if total > MAX_SPANS else ""
        in_flight = ", ".join(
            counted(most_in_flight(part), str(kind))
            for kind, part in run.groupby("kind", observed=True)
        )
        axes.set_title(f"{label}\nat most {in_flight} at once {shown}".strip(), fontsize="small")
        axes.set_xlabel("seconds from the run's start")
        axes.grid(True, alpha=0.3)
    panels[0].set_ylabel("span number (by start)")
    if len(kinds) > 1:
        panels[-1].legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1))
    figure.suptitle(f"{workload}: call timeline of the first measured run")
    return figure


def cpu_heatmap(timeline: pd.DataFrame, workload: str) -> Figure:
    """One panel per configuration: each CPU's busy share (0 to 1) over the run, and the CPUs
    busy on average in the title."""
    samples = timeline[timeline["kind"] == CPU]
    runs = first_runs(samples)
    figure, panels = _grid(len(runs), 2.6)
    image = None
    for axes, (label, run) in zip(panels, runs, strict=True):
        grid = run.pivot_table(index="cpu", columns="start_s", values="busy", observed=True)
        ends = run.groupby("start_s")["end_s"].max().reindex(grid.columns)
        edges = np.append(grid.columns.to_numpy(), ends.iloc[-1])
        cpus = grid.index.to_numpy(dtype=float)
        image = axes.pcolormesh(
            edges, np.append(cpus, cpus[-1] + 1) - 0.5, grid.to_numpy(), vmin=0, vmax=1,
            cmap="viridis",
        )  # fmt: skip
        covered = np.where(np.isnan(grid.to_numpy()), 0.0, np.diff(edges))
        busy = float(np.nansum(grid.to_numpy() * covered) / covered.sum(axis=1).mean())
        axes.set_title(f"{label}\n{busy:.2f} CPUs busy on average", fontsize="small")
        axes.set_yticks(cpus)
        axes.set_xlabel("seconds from the run's start")
    panels[0].set_ylabel("CPU")
    if image is not None:
        figure.colorbar(image, ax=panels, label="busy share", shrink=0.8)
    figure.suptitle(f"{workload}: each CPU's busy share during the first measured run")
    return figure


def _has_spans(timeline: pd.DataFrame) -> bool:
    return bool((timeline["kind"] != CPU).any())


def _sampled_often(timeline: pd.DataFrame) -> bool:
    """The runs lasted a few sampling intervals: a heat map of one or two columns says nothing."""
    samples = timeline[timeline["kind"] == CPU]
    reads = samples.groupby(["sweep_id", "job", "repeat"])["start_s"].nunique()
    return not reads.empty and reads.median() >= MIN_READS


#: (file name after the workload's, whether the timeline calls for it, how to draw it)
TIMELINE_FIGURES = (
    ("timeline", _has_spans, span_timeline),
    ("cpu", _sampled_often, cpu_heatmap),
)


def timeline_figures(timeline: pd.DataFrame, workload: str, name: str) -> dict[str, Figure]:
    """The timeline figures of one workload's timeline rows, by file name."""
    return {
        f"{name}_{suffix}.png": draw(timeline, workload)
        for suffix, wanted, draw in TIMELINE_FIGURES
        if wanted(timeline)
    }
