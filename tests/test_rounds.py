"""Rounds: every configuration visited ``rounds`` times, round-major, in a seeded order; resume
runs exactly the missing visits; bad shapes of a sweep are refused in one line."""

import re
import shutil
from pathlib import Path

import pytest

import hpexp
from hpexp.analysis.tables import format_summary
from hpexp.api.rounds import Plan
from tests.conftest import files_under, run_cli

CONFIGURATIONS = [["workers=1"], ["workers=2"], ["workers=4"]]
TINY = ("workload=pi", "workload.samples=2000", "repeats=1", "warmup=0", "report=false")


def test_sequential_visits_are_round_major_in_sweep_order():
    plan = Plan(rounds=2, order="sequential", seed=0)
    assert plan.visits(CONFIGURATIONS) == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)]
    assert plan.jobs(CONFIGURATIONS)[4] == ["workers=2", "round=1"]


def test_random_visits_are_shuffled_within_rounds_reproducibly_from_the_seed():
    many = [[f"workers={w}"] for w in range(1, 9)]
    plan = Plan(rounds=4, order="random", seed=3)
    visits = plan.visits(many)
    assert [r for r, _ in visits] == [r for r in range(4) for _ in many], "round-major"
    for round_ in range(4):
        assert sorted(i for r, i in visits if r == round_) == list(range(8)), "each once a round"
    orders = [[i for r, i in visits if r == round_] for round_ in range(4)]
    assert len({tuple(o) for o in orders}) > 1, "the rounds are not all in one order"
    assert orders != [list(range(8))] * 4, "shuffled"
    assert Plan(4, "random", 3).visits(many) == visits, "the same seed, the same order"
    assert Plan(4, "random", 4).visits(many) != visits, "another seed, another order"
    assert Plan(6, "random", 3).visits(many)[:32] == visits, "more rounds extend the same order"


def test_a_sweep_with_rounds_visits_every_configuration_each_round(tmp_path, capfd):
    frame = hpexp.sweep(
        *TINY, "executor=threads", "workers=1,2", "rounds=3", f"results_dir={tmp_path}"
    )
    err = capfd.readouterr().err
    assert "2 configurations x 3 rounds = 6 jobs, in random order (seed 0):" in err
    assert "configuration 0: workers=1" in err
    assert "configuration 1: workers=2" in err
    printed = re.findall(r"round (\d): configurations (\d) (\d)", err)
    assert [r for r, *_ in printed] == ["0", "1", "2"]
    order = [(int(r), int(i)) for r, *pair in printed for i in pair]
    assert order == Plan(3, "random", 0).visits([["workers=1"], ["workers=2"]])
    jobs = frame.sort_values("job")
    assert list(jobs["round"]) == [r for r, _ in order], "job k is visit k"
    assert list(jobs["workers"]) == [[1, 2][i] for _, i in order]
    assert (frame["rounds"] == 3).all()
    assert frame["overrides"].nunique() == 2
    assert frame.groupby("workers")["config_hash"].nunique().eq(1).all(), "one config, 3 rounds"
    table = format_summary(frame).splitlines()
    assert len(table) == 3, "one line per configuration, not per visit"
    assert table[0].split()[:6] == ["job", "workload", "executor", "workers", "n", "rounds"]
    assert [line.split()[3:6] for line in table[1:]] == [["1", "3", "3"], ["2", "3", "3"]]
    summary = hpexp.summarize(frame)
    assert list(summary["rounds"]) == [3, 3]
    assert list(summary["n"]) == [3, 3]
    assert summary["speedup_low"].notna().all(), "paired, with an interval"


def test_one_round_is_todays_sweep(tmp_path, capfd):
    frame = hpexp.sweep(*TINY, "executor=serial", "workers=1,2", f"results_dir={tmp_path}")
    assert "rounds" not in capfd.readouterr().err.split("Launching")[0]
    assert list(frame.sort_values("job")["workers"]) == [1, 2]
    assert (frame["round"] == 0).all()
    assert hpexp.summarize(frame)["speedup_low"].isna().all(), "one round: no interval"
    assert "rounds" not in format_summary(frame).splitlines()[0].split()


def test_resume_reruns_exactly_the_missing_visits_and_can_add_rounds(tmp_path, capfd):
    args = (*TINY, "executor=serial", "workers=1,2", f"results_dir={tmp_path}")
    hpexp.sweep(*args, "rounds=2", "order=random")
    (sweep_dir,) = (tmp_path / "sweeps").glob("*/*")
    shutil.rmtree(sweep_dir / "2")
    capfd.readouterr()
    again = hpexp.sweep(*args, "rounds=3", "resume=true")
    skipped = sorted(int(n) for n in re.findall(r"job (\d+) is complete", capfd.readouterr().err))
    assert skipped == [0, 1, 3], "job 2 was deleted; jobs 4 and 5 are the added round"
    assert sorted(zip(again["round"], again["workers"], strict=True)) == [
        (r, w) for r in range(3) for w in (1, 2)
    ]
    assert len(list((tmp_path / "sweeps").glob("*/*"))) == 1, "resumed in the same dir"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["round=1"],
            "invalid value for 'round': '1' (allowed: no value of yours: the sweeper numbers "
            "the rounds (use rounds=N))",
        ),
        (["rounds=1,2", "-m"], "invalid value for 'rounds': '1,2' (allowed: one value per sweep)"),
        (["order=random,sequential", "-m"], "invalid value for 'order': 'random,sequential'"),
        (["rounds=0", "-m"], "invalid value for 'rounds': 0 (allowed: an integer >= 1)"),
        (
            ["order=shuffled", "-m"],
            "invalid value for 'order': 'shuffled' (allowed: auto, sequential or random)",
        ),
        (["rounds=2"], "invalid value for 'rounds': 2 (allowed: 1 without -m (rounds are"),
    ],
)
def test_a_bad_sweep_shape_is_one_line_and_writes_nothing(tmp_path, args, message):
    result = run_cli(*TINY, *args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [result.stderr.strip()], result.stderr
    assert result.stderr.startswith(f"hpexp: {message}"), result.stderr
    assert files_under(tmp_path / "results") == []


def test_the_api_refuses_rounds_as_the_cli_does(tmp_path):
    with pytest.raises(hpexp.ConfigError, match=r"'rounds': 2 .*1 without -m"):
        hpexp.run(*TINY, "rounds=2", f"results_dir={tmp_path}")
    assert not Path(tmp_path, "runs").exists() or files_under(tmp_path) == []
