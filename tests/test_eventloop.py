"""The eventloop workload: exact call counts on every executor and style, with real pools,
loops and the patched gevent child; the book's loop that now terminates; the count check."""

import sys
from collections import deque

import pytest

import hpexp
from hpexp.core.errors import ConfigError
from hpexp.core.model import Model
from hpexp.workloads.eventloop import submit_chain
from hpexp.workloads.eventloop.common import ChainRun, callback_chain
from hpexp.workloads.eventloop.serial_loop import run_loop
from hpexp.workloads.eventloop.workload import (
    DEFAULT_CALLBACKS,
    GENERIC,
    LOOP_CALLBACKS,
)
from tests.conftest import measure

#: small counts: in-process loops, dispatch that crosses threads or processes, and dask's
#: scheduler round trips (5-20 ms each here)
LOOP_CALLS, CROSSING_CALLS, DASK_CALLS = 2_000, 200, 40


#: (executor factory, calls, primitive per style) for every built-in executor
EXECUTORS = {
    "serial": (
        lambda: hpexp.executor("serial"),
        LOOP_CALLS,
        ("deque loop", "deque loop + Future per call"),
    ),
    "threads": (
        lambda: hpexp.executor("threads", 2),
        CROSSING_CALLS,
        ("submit + add_done_callback", "submit + wait"),
    ),
    "pool": (
        lambda: hpexp.executor("pool", 2),
        CROSSING_CALLS,
        ("submit + add_done_callback", "submit + wait"),
    ),
    "joblib": (
        lambda: hpexp.executor("joblib", 2),
        CROSSING_CALLS,
        ("map no-op calls in batches",) * 2,
    ),
    "asyncio": (
        lambda: hpexp.executor("asyncio", 1),
        LOOP_CALLS,
        ("loop.call_soon", "loop.create_future + await"),
    ),
    "uvloop": (
        lambda: hpexp.executor("asyncio", 1, loop="uvloop"),
        LOOP_CALLS,
        ("loop.call_soon", "loop.create_future + await"),
    ),
    "tornado": (
        lambda: hpexp.executor("tornado", 1),
        LOOP_CALLS,
        ("IOLoop.add_callback", "tornado Future + await"),
    ),
    "gevent": (
        lambda: hpexp.executor("gevent", 1),
        LOOP_CALLS,
        ("hub loop.run_callback", "AsyncResult + get in a greenlet"),
    ),
    "dask": (
        lambda: hpexp.executor("dask", 2),
        DASK_CALLS,
        ("submit + add_done_callback", "submit + wait"),
    ),
}


@pytest.fixture(scope="module", params=list(EXECUTORS))
def started(request):
    """One started executor per model, shared by its style and chain cases, always shut down."""
    make, calls, primitives = EXECUTORS[request.param]
    executor = make()
    try:
        executor.start()
        yield executor, calls, primitives
    finally:
        executor.shutdown()


@pytest.mark.parametrize("chains", [1, 3])
@pytest.mark.parametrize("style", ["callback", "future"])
def test_every_executor_and_style_runs_exactly_the_asked_calls(started, style, chains):
    executor, calls, primitives = started
    workload = hpexp.workload("eventloop", callbacks=calls, chains=chains, style=style)
    results = executor.run(workload, workload.tasks(executor.workers, seed=0))
    assert [run.calls for run in results] == workload.targets(executor.model)
    assert sum(workload.targets(executor.model)) == calls
    outcome = workload.reduce(results)
    assert outcome.error is None
    assert outcome.units == calls
    assert outcome.metrics["calls"] == outcome.metrics["callbacks"] == calls
    assert outcome.metrics["primitive"] == primitives[style == "future"]
    assert outcome.metrics["callbacks_per_s"] > 0
    assert outcome.metrics["ns_per_callback"] == pytest.approx(
        1e9 / outcome.metrics["callbacks_per_s"]
    )


def test_the_seed_loop_terminates_after_exactly_its_calls():
    queue = deque()
    finished = []
    do_hello, count = callback_chain(LOOP_CALLS, queue.append, lambda: finished.append(count()))
    queue.append(do_hello)
    run_loop(queue)  # the book's `while True` would never return
    assert (count(), finished, len(queue)) == (LOOP_CALLS, [LOOP_CALLS], 0)


def test_chains_on_one_loop_take_turns():
    queue = deque()
    order = []

    def scheduler(name):
        return lambda call: (order.append(name), queue.append(call))

    chains = [callback_chain(4, scheduler(name), lambda: None) for name in "ab"]
    queue.extend(first for first, _ in chains)
    run_loop(queue)
    assert "".join(order) == "ababab"  # each chain's 2nd..4th call, interleaved


def test_submit_chains_do_not_recurse_on_an_executor_that_completes_inline():
    """SerialExecutor's futures are done before add_done_callback: a recursive chain would
    exceed the recursion limit long before its last call."""
    calls = sys.getrecursionlimit() * 3
    results = submit_chain.run(hpexp.executor("serial"), Model.inline, [calls, calls], "callback")
    assert [run.calls for run in results] == [calls, calls]


def test_an_executor_without_a_native_driver_runs_each_chain_as_a_task():
    workload = hpexp.workload("eventloop", callbacks=1001, chains=2, style="future")
    executor = hpexp.executor("serial")
    results = executor.run_tasks(workload, workload.tasks(1, seed=0))
    outcome = workload.reduce(results)
    assert outcome.error is None
    assert [run.calls for run in results] == [501, 500]
    assert outcome.metrics["primitive"] == "workload.run: a deque loop per chain"


def runs(model, counts):
    return [ChainRun(model, "p", i, calls, 1.0, 2.0) for i, calls in enumerate(counts)]


@pytest.mark.parametrize("counts", [[500, 499], [500, 501], [501, 499], [0, 0]])
def test_a_wrong_call_count_is_an_error(counts):
    outcome = hpexp.workload("eventloop", callbacks=1000, chains=2).reduce(
        runs(Model.inline, counts)
    )
    assert outcome.error is not None
    assert f"expected exactly 1000 calls, counted {sum(counts)}" in outcome.error


def test_rate_is_calls_over_the_span_from_first_start_to_last_finish():
    results = [
        ChainRun(Model.processes, "p", 0, 300, 10.0, 10.5),
        ChainRun(Model.processes, "p", 1, 300, 10.0, 11.0),
    ]
    metrics = hpexp.workload("eventloop", callbacks=600, chains=2).reduce(results).metrics
    assert metrics["callbacks_per_s"] == pytest.approx(600.0)
    assert metrics["ns_per_callback"] == pytest.approx(1e9 / 600)


def test_null_callbacks_resolve_per_concurrency_model():
    workload = hpexp.workload("eventloop", chains=3)
    processes = Model.processes
    assert sum(workload.targets(processes)) == DEFAULT_CALLBACKS[processes] == 5_000
    assert sum(workload.targets(Model.inline)) == LOOP_CALLBACKS == 1_000_000
    assert sum(workload.targets(GENERIC)) == LOOP_CALLBACKS
    outcome = workload.reduce(runs(processes, workload.targets(processes)))
    assert (outcome.error, outcome.metrics["callbacks"]) == (None, DEFAULT_CALLBACKS[processes])
    with pytest.raises(ConfigError, match="chains"):
        hpexp.workload("eventloop", chains=DEFAULT_CALLBACKS[Model.cluster] + 1).targets(
            Model.cluster
        )


@pytest.mark.parametrize(
    ("params", "key"),
    [
        ({"callbacks": 0}, "callbacks"),
        ({"callbacks": 2.5}, "callbacks"),
        ({"callbacks": 3, "chains": 4}, "callbacks"),
        ({"chains": 0}, "chains"),
        ({"style": "promise"}, "style"),
    ],
)
def test_bad_parameters_name_their_key(params, key):
    with pytest.raises(ConfigError) as info:
        hpexp.workload("eventloop", **params)
    assert info.value.key == f"workload.{key}"


def test_rows_name_the_primitive_and_record_the_effective_count():
    rows = measure(
        "workload=eventloop",
        "executor=threads",
        "workers=2",
        "workload.chains=2",
        "workload.style=future",
        "repeats=2",
        "warmup=0",
    )
    assert [r["status"] for r in rows] == ["ok", "ok"], rows[-1].get("error")
    for row in rows:
        assert row["workload.callbacks"] is None
        assert row["callbacks"] == row["calls"] == row["units"] == DEFAULT_CALLBACKS[Model.threads]
        assert row["primitive"] == "submit + wait"
        assert (row["workload.style"], row["workload.chains"], row["tasks"]) == ("future", 2, 2)
        assert row["callbacks_per_s"] > 0
        assert row["throughput"] <= row["callbacks_per_s"] * 1.01
