"""The pi workload's own logic: streams, splitting, and the correctness check."""

import math

import numpy as np
import pytest

import hpexp
from hpexp.core.errors import ConfigError
from hpexp.workloads.pi import TOLERANCE_SIGMAS, standard_error


def test_chunks_default_to_workers_and_split_samples_exactly():
    tasks = hpexp.workload("pi", samples=1003).tasks(workers=4, seed=0)
    assert len(tasks) == 4
    assert sum(t.samples for t in tasks) == 1003
    assert max(t.samples for t in tasks) - min(t.samples for t in tasks) <= 1


def test_explicit_chunks_override_workers():
    assert len(hpexp.workload("pi", samples=100, chunks=7).tasks(workers=2, seed=0)) == 7


@pytest.mark.parametrize("impl", ["python", "numpy"])
def test_every_chunk_draws_from_its_own_stream(impl):
    workload = hpexp.workload("pi", samples=40_000, impl=impl)
    counts = [workload.run(t) for t in workload.tasks(workers=4, seed=1)]
    assert len(set(counts)) == 4, "identical counts mean shared random streams"


@pytest.mark.parametrize("impl", ["python", "numpy"])
def test_same_seed_same_estimate_different_seed_different(impl):
    workload = hpexp.workload("pi", samples=50_000, impl=impl)

    def estimate(seed):
        return workload.reduce([workload.run(t) for t in workload.tasks(3, seed)]).metrics

    assert estimate(5) == estimate(5)
    assert estimate(5)["pi_estimate"] != estimate(6)["pi_estimate"]


def test_standard_error_matches_the_binomial_variance():
    rng = np.random.default_rng(0)
    n, trials = 10_000, 2_000
    inside = rng.binomial(n, math.pi / 4, size=trials)
    empirical = np.std(4 * inside / n)
    assert empirical == pytest.approx(standard_error(n), rel=0.1)


def test_an_estimate_beyond_tolerance_is_an_error():
    workload = hpexp.workload("pi", samples=1_000_000)
    good = workload.reduce([round(1_000_000 * math.pi / 4)])
    assert good.error is None
    assert "samples" not in good.metrics, "the parameter is the workload.samples column"
    off = TOLERANCE_SIGMAS * standard_error(1_000_000) * 1.5
    bad = workload.reduce([round(1_000_000 * (math.pi + off) / 4)])
    assert bad.error is not None
    assert "tolerance" in bad.error


@pytest.mark.parametrize(
    ("params", "key"),
    [
        ({"samples": 0}, "samples"),
        ({"samples": -5}, "samples"),
        ({"impl": "fortran"}, "impl"),
        ({"chunks": 0}, "chunks"),
        ({"samples": True}, "samples"),
    ],
)
def test_bad_parameters_name_their_key(params, key):
    with pytest.raises(ConfigError) as info:
        hpexp.workload("pi", **params)
    assert info.value.key == f"workload.{key}"


@pytest.mark.parametrize(
    ("offset", "wrong"),
    # 1e6 samples: one standard error of 4 * inside / samples is 0.001642, so 6 of them 0.00985
    [(0.0090, False), (-0.0090, False), (0.0107, True), (-0.0107, True), (0.05, True)],
)
def test_the_tolerance_is_six_standard_errors(offset, wrong):
    inside = round(1_000_000 * (math.pi + offset) / 4)
    outcome = hpexp.workload("pi", samples=1_000_000).reduce([inside])
    assert (outcome.error is not None) == wrong, outcome.error
    assert outcome.metrics["abs_error"] == pytest.approx(abs(offset), abs=1e-5)


def test_standard_error_has_its_known_value():
    assert standard_error(1_000_000) == pytest.approx(0.0016421, rel=1e-4)
