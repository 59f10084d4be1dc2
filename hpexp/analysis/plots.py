"""PNG figures of a summary: time and speedup vs workers, the book's crawl figure, the shared
array's time and memory per way of sharing, chapter 7's kernels against pure Python (or numpy,
where pure Python was not measured) with each route's time and call overhead, and chapter 8's
cost of I/O beside CPU work.

No workload is named here: a figure is drawn for any workload whose rows have the columns it
needs (:data:`BY_COLUMNS`), so a new workload with a delay and requests gets the crawl figure.

Figures are drawn on matplotlib's Agg canvas directly (no pyplot, no display, no global
backend state), so they can be made inside a running sweep.
"""

import re
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, ScalarFormatter

from hpexp.analysis.stats import (
    SERIAL,
    CpuLimit,
    cpu_limit_of,
    key_columns,
    ok_rows,
    summarize,
)
from hpexp.analysis.timelines import timeline_figures

DELAY = "workload.delay_ms"
REQUESTS = "workload.requests"
SHARE = "workload.share"
IMPL = "workload.impl"
SAVE = "workload.save"
BATCH = "workload.batch"
HASH_TASKS = "workload.tasks"
DIFFICULTY = "workload.difficulty"
CALL_OVERHEAD = "call_overhead_us"
CHUNKSIZE = "executor.chunksize"
#: the number-of-chunks panel shows the sawtooth up to this many chunks per worker
CHUNKS_PER_WORKER_SHOWN = 4
#: what each impl is compared with, the first of these that was measured
BASELINE_IMPLS = ("python", "numpy")
#: how a curve names a value of these columns (others: ``column=value``)
LABELS = {
    "executor": "{}",
    DELAY: "delay {} ms",
    IMPL: "impl {}",
    SAVE: "save {}",
    BATCH: "batch {}",
}


def _shown(value: object) -> object:
    """A whole float as the int it is: a column another workload left empty holds floats."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _label(keys: list[str], values: tuple[object, ...]) -> str:
    """What tells a curve (or bar) apart: its values of ``keys``, named as :data:`LABELS` says."""
    named = zip(keys, values, strict=True)
    return ", ".join(LABELS.get(k, f"{k}={{}}").format(_shown(v)) for k, v in named)


def _series(summary: pd.DataFrame, hidden: tuple[str, ...]) -> list[tuple[str, pd.DataFrame]]:
    """The summary split into curves over workers, each labelled by what tells it apart."""
    keys = [c for c in key_columns(summary) if c not in hidden]
    curves = []
    for values, rows in summary.groupby(keys, observed=True, dropna=False, sort=True):
        curves.append((_label(keys, values), rows.sort_values("workers")))
    return curves


def _workers_axis(axes: Axes, workers: pd.Series) -> None:
    axes.set_xscale("log", base=2)
    axes.set_xticks(sorted(workers.unique()))
    axes.xaxis.set_major_formatter(ScalarFormatter())
    axes.set_xlabel("workers")
    axes.grid(True, which="both", alpha=0.3)


def _figure() -> tuple[Figure, Axes]:
    figure = Figure(figsize=(11, 4.5), layout="constrained")
    FigureCanvasAgg(figure)
    return figure, figure.add_subplot()


def _plain(value: float, _position: object = None) -> str:
    """A tick label people read: 0.6, 20, 1500 (never 6x10^-1)."""
    return f"{value:g}"


def _plain_log_ticks(axes: Axes) -> None:
    """Label a log y axis with plain numbers; the in-between ticks too when it spans less than
    a decade (more would crowd them), else only 2 and 5 of each decade."""
    axes.yaxis.set_major_formatter(FuncFormatter(_plain))
    low, high = axes.get_ylim()
    crowded = low > 0 and high / low > 10

    def minor(value: float, _position: object = None) -> str:
        leading = round(value / 10 ** np.floor(np.log10(value)))
        return "" if crowded and leading not in (2, 5) else _plain(value)

    axes.yaxis.set_minor_formatter(FuncFormatter(minor))


def _legend_outside(axes: Axes) -> None:
    """The legend right of the data, so it never covers a curve or cuts a name."""
    axes.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1))


def _colours(curves: list[list[tuple[str, pd.DataFrame]]]) -> dict[str, str]:
    """One colour per label across every panel, so a curve keeps its colour from panel to
    panel and one legend names them all."""
    labels = dict.fromkeys(label for panel in curves for label, _ in panel)
    return {label: f"C{number % 10}" for number, label in enumerate(labels)}


def _legend_of_panels(panels: list[Axes], colours: dict[str, str]) -> None:
    """One legend, right of the last panel, naming every panel's curves once (in ``colours``'
    order), then the lines drawn for reference (ideal, the CPUs)."""
    handles: dict[str, object] = {}
    for axes in panels:
        for handle, label in zip(*axes.get_legend_handles_labels(), strict=True):
            handles.setdefault(label, handle)
    handles = {
        label: handles[label]
        for label in sorted(handles, key=lambda label: (label not in colours, label))
    }
    panels[-1].legend(
        list(handles.values()), list(handles), fontsize="small", loc="upper left",
        bbox_to_anchor=(1.01, 1),
    )  # fmt: skip


#: more curves than this on one axis cannot be told apart (matplotlib cycles 10 colours):
#: julia_ch7's 15 impl x executor curves get one panel per executor instead
MAX_CURVES = 8


def _panels(rows: pd.DataFrame, title: str) -> tuple[Figure, list[tuple[Axes, pd.DataFrame]]]:
    """One axis for every curve, or one panel per executor (same y axis) when there are too
    many curves for one: small multiples, each curve labelled without its executor."""
    executors = list(dict.fromkeys(rows["executor"]))
    if len(_series(rows, ("workload", "workers"))) <= MAX_CURVES or len(executors) == 1:
        figure, axes = _figure()
        axes.set_title(title)
        return figure, [(axes, rows)]
    figure = Figure(figsize=(4.2 * len(executors) + 2.5, 4.5), layout="constrained")
    FigureCanvasAgg(figure)
    panels = figure.subplots(1, len(executors), sharey=True, squeeze=False)[0]
    figure.suptitle(title)
    for axes, executor in zip(panels, executors, strict=True):
        axes.set_title(str(executor))
    return figure, [
        (axes, rows[rows["executor"] == executor])
        for axes, executor in zip(panels, executors, strict=True)
    ]


def _hidden(panels: list[tuple[Axes, pd.DataFrame]]) -> tuple[str, ...]:
    """What a curve's label need not say: the workload and workers, and the executor its
    panel's title names."""
    return ("workload", "workers", *(("executor",) if len(panels) > 1 else ()))


def time_vs_workers(summary: pd.DataFrame, workload: str) -> Figure:
    """Median wall time per curve (band: min to max), dashed: ideal scaling from its first point."""
    rows = summary[summary["workload"] == workload].dropna(subset=["median_s"])
    figure, panels = _panels(rows, f"{workload}: time vs workers (dashed: ideal)")
    curves = [_series(panel, _hidden(panels)) for _, panel in panels]
    colours = _colours(curves)
    for (axes, panel), series in zip(panels, curves, strict=True):
        for label, curve in series:
            (line,) = axes.plot(
                curve["workers"], curve["median_s"], marker="o", label=label, color=colours[label]
            )
            axes.fill_between(
                curve["workers"], curve["min_s"], curve["max_s"], color=line.get_color(), alpha=0.15
            )
            if not _concurrent(curve):
                continue  # serial runs its tasks in turn: more workers are no ideal to reach
            first = curve.iloc[0]
            ideal = first["median_s"] * first["workers"] / curve["workers"]
            axes.plot(curve["workers"], ideal, linestyle="--", color=line.get_color(), alpha=0.6)
        _workers_axis(axes, panel["workers"])
        axes.set_yscale("log")
        _plain_log_ticks(axes)
    panels[0][0].set_ylabel("median wall time (s)")
    _legend_of_panels([axes for axes, _ in panels], colours)
    return figure


def _speedup_curve(axes: Axes, curve: pd.DataFrame, label: str, colour: str) -> None:
    """One speedup curve; where a sweep had rounds, its interval across them as error bars."""
    low, high = curve["speedup_low"], curve["speedup_high"]
    if low.isna().all():
        axes.plot(curve["workers"], curve["speedup"], marker="o", label=label, color=colour)
        return
    below = (curve["speedup"] - low).fillna(0).clip(lower=0)
    above = (high - curve["speedup"]).fillna(0).clip(lower=0)
    axes.errorbar(
        curve["workers"], curve["speedup"], yerr=[below, above], marker="o", capsize=4,
        label=label, color=colour,
    )  # fmt: skip


def _concurrent(curve: pd.DataFrame) -> bool:
    """More workers ran at once: any executor but serial, and serial where the kernel ran on
    threads of its own (summarize gives serial a speedup beyond workers=1 only then)."""
    beyond_one = curve[curve["workers"] > 1]
    return bool((curve["executor"] != SERIAL).any() or beyond_one["speedup"].notna().any())


def _scaled(summary: pd.DataFrame, workload: str) -> pd.DataFrame:
    """The configurations with a speedup to draw: serial, which runs its tasks in turn whatever
    ``workers`` says, has none beyond its own baseline, so it is not drawn against workers
    (unless its kernel ran on threads of its own)."""
    rows = summary[summary["workload"] == workload].dropna(subset=["speedup"])
    series = [k for k in key_columns(rows) if k != "workers"]
    curves = rows.groupby(series, observed=True, dropna=False, group_keys=False)
    return curves.filter(lambda curve: (curve["workers"] > 1).any()) if len(rows) else rows


def speedup_vs_workers(summary: pd.DataFrame, workload: str, limit: CpuLimit) -> Figure:
    """Speedup over workers=1 of the same curve (error bars: its interval across rounds), the
    ideal y = x, and the CPUs the runs could use."""
    rows = _scaled(summary, workload)
    figure, panels = _panels(rows, f"{workload}: speedup vs workers")
    ideal = np.geomspace(1, max(rows["workers"].max(), limit.cpus), 50)
    source = f" ({limit.source})" if limit.source else ""
    curves = [_series(panel, _hidden(panels)) for _, panel in panels]
    colours = _colours(curves)
    for (axes, panel), series in zip(panels, curves, strict=True):
        for label, curve in series:
            _speedup_curve(axes, curve, label, colours[label])
        axes.plot(ideal, ideal, linestyle="--", color="black", alpha=0.6, label="ideal")
        axes.axvline(limit.cpus, color="grey", linestyle=":", label=f"{limit.cpus:g} CPUs{source}")
        _workers_axis(axes, panel["workers"])
        axes.set_yscale("log", base=2)
        axes.yaxis.set_major_formatter(FuncFormatter(_plain))
    panels[0][0].set_ylabel("speedup vs workers=1")
    _legend_of_panels([axes for axes, _ in panels], colours)
    return figure


def time_vs_concurrency_per_delay(frame: pd.DataFrame, workload: str) -> Figure:
    """The book's crawl figure: time vs concurrent requests, one curve per delay, log y.

    One panel per executor. ``frame`` holds one workload's rows; the delay is always a curve
    key, even when the sweep used a single one.
    """
    summary = summarize(frame, by=[DELAY]).dropna(subset=["median_s"])
    executors = list(dict.fromkeys(summary["executor"]))
    figure = Figure(figsize=(5 * len(executors) + 1, 4.5), layout="constrained")
    FigureCanvasAgg(figure)
    panels = figure.subplots(1, len(executors), sharey=True, squeeze=False)[0]
    for axes, executor in zip(panels, executors, strict=True):
        rows = summary[summary["executor"] == executor]
        for label, curve in _series(rows, ("workload", "executor", "workers")):
            axes.plot(curve["workers"], curve["median_s"], marker="o", label=label)
        _workers_axis(axes, rows["workers"])
        axes.set_xlabel("concurrent requests (workers)")
        axes.set_yscale("log")
        _plain_log_ticks(axes)
        axes.set_title(str(executor))
    _legend_outside(panels[-1])
    panels[0].set_ylabel("median wall time (s)")
    figure.suptitle(f"{workload}: time vs concurrent requests")
    return figure


def time_and_memory_per_share(frame: pd.DataFrame, workload: str) -> Figure:
    """Chapter 9's question for shared data: what each way of sharing costs in wall time and in
    peak memory (summed over processes), one bar per executor and workers."""
    medians = (
        frame.groupby(["executor", "workers", SHARE], observed=True)[["wall_s", "max_rss_mb"]]
        .median()
        .reset_index()
    )
    shares = sorted(medians[SHARE].unique())
    cells = list(dict.fromkeys(zip(medians["executor"], medians["workers"], strict=True)))
    width = 0.8 / len(cells)
    figure = Figure(figsize=(11, 4.5), layout="constrained")
    FigureCanvasAgg(figure)
    panels = figure.subplots(1, 2)
    measures = (("wall_s", "median wall time (s)"), ("max_rss_mb", "median peak RSS (MB)"))
    for axes, (column, label) in zip(panels, measures, strict=True):
        for k, (executor, workers) in enumerate(cells):
            mine = medians[(medians["executor"] == executor) & (medians["workers"] == workers)]
            by_share = mine.set_index(SHARE)[column]
            values = [by_share.get(share, np.nan) for share in shares]
            positions = np.arange(len(shares)) + k * width
            axes.bar(positions, values, width, label=f"{executor}, {workers} workers")
        axes.set_xticks(np.arange(len(shares)) + width * (len(cells) - 1) / 2, shares)
        axes.set_xlabel("share")
        axes.set_ylabel(label)
        axes.grid(True, axis="y", alpha=0.3)
    _legend_outside(panels[-1])
    figure.suptitle(f"{workload}: time and memory per way of sharing")
    return figure


def baseline_impl(summary: pd.DataFrame, workload: str) -> str | None:
    """The impl the others are compared with: pure Python where it was measured, else numpy."""
    if IMPL not in summary:
        return None
    impls = set(summary.loc[summary["workload"] == workload].dropna(subset=["median_s"])[IMPL])
    return next((impl for impl in BASELINE_IMPLS if impl in impls and len(impls) > 1), None)


def impl_speedups(summary: pd.DataFrame, workload: str) -> pd.DataFrame:
    """Chapter 7's matrix: how many times faster than the baseline kernel (:func:`baseline_impl`)
    each ``impl`` is (rows, the baseline first), on the same executor, workers and other
    parameters (columns)."""
    baseline = baseline_impl(summary, workload)
    rows = summary[summary["workload"] == workload].dropna(subset=["median_s"])
    cells = [c for c in key_columns(rows) if c not in ("workload", IMPL)]
    medians = rows.pivot_table(index=IMPL, columns=cells, values="median_s", observed=True)
    impls = [baseline, *sorted(set(medians.index) - {baseline})]
    speedups = medians.loc[baseline] / medians.reindex(impls)
    speedups.columns = [
        _label(cells, values if isinstance(values, tuple) else (values,))
        for values in speedups.columns
    ]
    return speedups


def speedup_over_python(summary: pd.DataFrame, workload: str) -> Figure:
    """:func:`impl_speedups` as bars: one bar per executor and workers, log scale."""
    speedups = impl_speedups(summary, workload)
    width = 0.8 / len(speedups.columns)
    figure = Figure(figsize=(11, 4.5), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    for k, label in enumerate(speedups.columns):
        positions = np.arange(len(speedups.index)) + k * width
        axes.bar(positions, speedups[label].to_numpy(), width, label=label)
    axes.set_xticks(
        np.arange(len(speedups.index)) + width * (len(speedups.columns) - 1) / 2, speedups.index
    )
    axes.set_yscale("log")
    _plain_log_ticks(axes)
    axes.axhline(1, color="black", linewidth=0.8)
    axes.set_xlabel("impl")
    baseline = speedups.index[0]
    axes.set_ylabel(f"times faster than impl={baseline}")
    axes.grid(True, axis="y", which="both", alpha=0.3)
    _legend_outside(axes)
    axes.set_title(f"{workload}: speedup over impl={baseline} per impl")
    return figure


def time_and_call_overhead_per_route(frame: pd.DataFrame, workload: str) -> Figure:
    """Chapter 7's routes side by side: each one's median time at one worker on one thread of
    its own (``serial``, workers=1), and what one call costs it on a tiny problem
    (``call_overhead_us``): a route can compute fast and still pay at its boundary."""
    one = frame[(frame["executor"] == SERIAL) & (frame["workers"] == 1)]
    per_route = one.groupby(IMPL, observed=True).agg(
        median_s=("wall_s", "median"), overhead=(CALL_OVERHEAD, "median")
    )
    per_route = per_route.sort_values("median_s")
    figure = Figure(figsize=(12, 4.5), layout="constrained")
    FigureCanvasAgg(figure)
    time_axes, overhead_axes = figure.subplots(1, 2)
    positions = np.arange(len(per_route))
    for axes, column, label in (
        (time_axes, "median_s", "median time, serial, workers=1 (s)"),
        (overhead_axes, "overhead", "one call on a tiny problem (µs)"),
    ):
        axes.bar(positions, per_route[column].to_numpy(), 0.7)
        axes.set_xticks(positions, per_route.index, rotation=30, ha="right")
        axes.set_yscale("log")
        _plain_log_ticks(axes)
        axes.set_ylabel(label)
        axes.grid(True, axis="y", which="both", alpha=0.3)
    time_axes.set_title("time per route (fastest first)")
    overhead_axes.set_title("call overhead per route")
    figure.suptitle(f"{workload}: what each route costs to run and to call")
    return figure


def scaling_per_impl(summary: pd.DataFrame, workload: str, limit: CpuLimit) -> Figure:
    """Speedup vs workers per ``impl``, one panel per executor: threads scale only the kernels
    that release the GIL, processes scale them all, and serial scales the kernels that run on
    threads of their own: executor threads and in-kernel threads side by side."""
    rows = _scaled(summary, workload)
    executors = list(dict.fromkeys(rows["executor"]))
    figure = Figure(figsize=(5 * len(executors) + 2, 4.5), layout="constrained")
    FigureCanvasAgg(figure)
    panels = figure.subplots(1, len(executors), sharey=True, squeeze=False)[0]
    top = max(rows["workers"].max(), limit.cpus)
    per_executor = [rows[rows["executor"] == executor] for executor in executors]
    curves = [_series(mine, ("workload", "executor", "workers")) for mine in per_executor]
    colours = _colours(curves)
    for axes, executor, mine, series in zip(panels, executors, per_executor, curves, strict=True):
        for label, curve in series:
            _speedup_curve(axes, curve, label, colours[label])
        axes.plot([1, top], [1, top], linestyle="--", color="black", alpha=0.6, label="ideal")
        _workers_axis(axes, mine["workers"])
        axes.set_title(str(executor))
    panels[0].set_ylabel("speedup vs workers=1")
    _legend_of_panels(list(panels), colours)
    figure.suptitle(f"{workload}: scaling per impl")
    return figure


def io_cost_vs_task_time(frame: pd.DataFrame, workload: str) -> Figure:
    """The book's chapter 8 figure: how many times slower than saving nothing each way of saving
    is, against the CPU time per task (one point per ``difficulty``, one curve per method).

    Each configuration is divided by the ``save=none`` run of the same executor, workers, batch
    and size (or, when that one was not measured, by the median of every ``save=none`` run of
    that size); the time per task is that baseline over ``tasks``.
    """
    summary = summarize(frame, by=[SAVE, BATCH, HASH_TASKS, DIFFICULTY])
    summary = summary.dropna(subset=["median_s"])
    size = [HASH_TASKS, DIFFICULTY]
    same = [k for k in key_columns(summary) if k != SAVE]
    none = summary[summary[SAVE] == "none"]
    own = none.set_index(same)["median_s"]
    any_executor = none.groupby(size)["median_s"].median()
    figure, axes = _figure()
    saving = summary[summary[SAVE] != "none"]
    constant = tuple(k for k in ("workers",) if saving[k].nunique() == 1)
    for label, curve in _series(saving, ("workload", *size, *constant)):
        keys = curve.set_index(same).index
        baseline = own.reindex(keys).to_numpy()
        fallback = any_executor.reindex(pd.MultiIndex.from_frame(curve[size])).to_numpy()
        baseline = np.where(np.isnan(baseline), fallback, baseline)
        per_task = baseline / curve[HASH_TASKS].to_numpy() * 1000
        order = np.argsort(per_task)
        ratio = curve["median_s"].to_numpy() / baseline
        style = "--" if curve[SAVE].iloc[0] == "file" else "-"
        axes.plot(per_task[order], ratio[order], style, marker="o", label=label)
    axes.axhline(1, color="black", linewidth=0.8, label="no I/O")
    axes.set_xlim(left=0)
    axes.set_yscale("log")
    _plain_log_ticks(axes)
    axes.set_xlabel("CPU time per task with no I/O (ms)")
    axes.set_ylabel("times slower than no I/O")
    axes.grid(True, which="both", alpha=0.3)
    _legend_outside(axes)
    axes.set_title(f"{workload}: the cost of I/O beside CPU work, per way of saving")
    return figure


def time_vs_chunksize(frame: pd.DataFrame, workload: str) -> Figure:
    """The 3rd edition's chunksize figures: median time against the tasks per chunk (log x),
    and against the number of chunks (ceil(tasks / chunksize)) up to a few per worker, where
    the time steps down at each multiple of the workers: the last round of chunks leaves
    workers idle unless it fills them all."""
    summary = summarize(frame, by=[CHUNKSIZE]).dropna(subset=["median_s"])
    tasks = ok_rows(frame).groupby(CHUNKSIZE, observed=True)["tasks"].median()
    summary["chunks"] = np.ceil(summary[CHUNKSIZE].map(tasks) / summary[CHUNKSIZE])
    figure = Figure(figsize=(13, 4.8), layout="constrained")
    FigureCanvasAgg(figure)
    by_size, by_count = figure.subplots(1, 2, sharey=True)
    hidden = ("workload", CHUNKSIZE, *(("workers",) if summary["workers"].nunique() == 1 else ()))
    curves = _series(summary, hidden)
    colours = _colours([curves])
    workers = summary["workers"].max()
    for label, curve in curves:
        by_chunksize = curve.sort_values(CHUNKSIZE)
        by_size.plot(by_chunksize[CHUNKSIZE], by_chunksize["median_s"], marker="o", label=label,
                     color=colours[label])  # fmt: skip
        few = curve[curve["chunks"] <= CHUNKS_PER_WORKER_SHOWN * workers].sort_values("chunks")
        by_count.plot(few["chunks"], few["median_s"], marker="o", label=label,
                      color=colours[label])  # fmt: skip
    for multiple in range(1, CHUNKS_PER_WORKER_SHOWN + 1):
        by_count.axvline(multiple * workers, color="grey", linestyle=":", alpha=0.7)
    by_size.set_xscale("log")
    by_size.xaxis.set_major_formatter(FuncFormatter(_plain))
    by_size.set_xlabel("tasks per chunk (executor.chunksize)")
    by_count.set_xlabel(f"number of chunks (dotted: multiples of {workers:g} workers)")
    by_size.set_ylabel("median wall time (s)")
    for axes in (by_size, by_count):
        axes.set_yscale("log")
        _plain_log_ticks(axes)
        axes.grid(True, which="both", alpha=0.3)
    _legend_of_panels([by_size, by_count], colours)
    figure.suptitle(f"{workload}: time against chunksize and against the number of chunks")
    return figure


def _several_chunksizes(rows: pd.DataFrame) -> bool:
    return rows[CHUNKSIZE].nunique() > 2


def compares_impls(summary: pd.DataFrame, workload: str) -> bool:
    """The workload was measured with a baseline kernel and at least one other."""
    return baseline_impl(summary, workload) is not None


def _serial_one_worker(rows: pd.DataFrame) -> bool:
    """More than one route was measured on ``serial`` at one worker."""
    one = rows[(rows["executor"] == SERIAL) & (rows["workers"] == 1)]
    return one[IMPL].nunique() > 1


def _saved_and_not(rows: pd.DataFrame) -> bool:
    """Some runs saved nothing and some saved: the ratio of the two is the figure."""
    return bool((rows[SAVE] == "none").any() and (rows[SAVE] != "none").any())


#: a figure for any workload whose rows have these columns (and that ``wanted`` accepts):
#: (file name after the workload's, the columns, wanted, how to draw it)
BY_COLUMNS = (
    ("time_vs_concurrency", (DELAY, REQUESTS), lambda _: True, time_vs_concurrency_per_delay),
    ("io_cost", (SAVE, BATCH, HASH_TASKS, DIFFICULTY), _saved_and_not, io_cost_vs_task_time),
    ("time_and_memory", (SHARE,), lambda _: True, time_and_memory_per_share),
    ("routes", (IMPL, CALL_OVERHEAD), _serial_one_worker, time_and_call_overhead_per_route),
    ("chunksize", (CHUNKSIZE, "tasks"), _several_chunksizes, time_vs_chunksize),
)


def file_name(workload: object) -> str:
    """A workload's name as the start of a file name."""
    return re.sub(r"[^\w.-]", "_", str(workload))


def figures_of(frame: pd.DataFrame, summary: pd.DataFrame) -> dict[str, Figure]:
    """Every figure these results call for, by file name."""
    figures: dict[str, Figure] = {}
    for workload in dict.fromkeys(summary.dropna(subset=["median_s"])["workload"]):
        name = file_name(workload)
        if summary.loc[summary["workload"] == workload, "workers"].nunique() > 1:
            figures[f"time_{name}.png"] = time_vs_workers(summary, workload)
        if _scaled(summary, workload)["workers"].nunique() > 1:
            figures[f"speedup_{name}.png"] = speedup_vs_workers(
                summary, workload, cpu_limit_of(frame)
            )
        if compares_impls(summary, workload):
            figures[f"impl_speedup_{name}.png"] = speedup_over_python(summary, workload)
            if summary.loc[summary["workload"] == workload, "speedup"].notna().any():
                figures[f"impl_scaling_{name}.png"] = scaling_per_impl(
                    summary, workload, cpu_limit_of(frame)
                )
    measured = ok_rows(frame)
    for workload, rows in measured.groupby("workload", observed=True, sort=False):
        name = file_name(workload)
        for suffix, columns, wanted, draw in BY_COLUMNS:
            if all(c in rows and rows[c].notna().any() for c in columns) and wanted(rows):
                figures[f"{name}_{suffix}.png"] = draw(rows, str(workload))
    return figures


def write_plots(
    frame: pd.DataFrame,
    summary: pd.DataFrame,
    out_dir: Path,
    timeline: pd.DataFrame | None = None,
) -> list[Path]:
    """Every figure for these results (and their ``timeline``, where one was recorded) as PNG
    files in ``out_dir``; returns their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    figures = figures_of(frame, summary)
    if timeline is not None and not timeline.empty:
        for workload, rows in timeline.groupby("workload", observed=True, sort=False):
            figures |= timeline_figures(rows, str(workload), file_name(workload))
    paths = []
    for name, figure in figures.items():
        path = out_dir / name
        figure.savefig(path, dpi=120)
        paths.append(path)
    return paths
