"""``python -m hpexp --help``: what there is to run and how, read from ``conf/`` itself.

Each workload, executor and preset is listed with the first sentence of its YAML's leading
comment, so the help never drifts from the configs. Hydra's own help stays at ``--hydra-help``.
"""

import re
from pathlib import Path

#: lines longer than this are cut (with an ellipsis): one line per option
WIDTH = 100
#: how every key is described at the top of conf/config.yaml: ``key: value  # meaning``
_TOP_LEVEL = re.compile(r"^(\w+): *([^#]*?) *# (.*)$")


def summary_line(path: Path, width: int = WIDTH) -> str:
    """The first sentence of the file's leading comment block, at most ``width`` characters."""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        if not line.startswith("# @package"):
            lines.append(line.lstrip("# ").strip())
    text = " ".join(lines)
    sentence = re.split(r"(?<=\.)\s", text, maxsplit=1)[0].rstrip(".")
    return sentence if len(sentence) <= width else sentence[: width - 1].rstrip(" ,:;") + "…"


def _options(conf: Path, group: str) -> list[str]:
    paths = sorted((conf / group).glob("*.yaml"))
    width = max(len(p.stem) for p in paths) + 2
    return [f"  {p.stem.ljust(width)}{summary_line(p, WIDTH - width - 2)}" for p in paths]


def _top_level(conf: Path) -> list[str]:
    keys = []
    for line in (conf / "config.yaml").read_text(encoding="utf-8").splitlines():
        if match := _TOP_LEVEL.match(line):
            key, value, meaning = match.groups()
            keys.append(f"  {f'{key}={value}'.ljust(22)}{meaning}")
    return keys


def help_text(conf: Path) -> str:
    return "\n".join(
        [
            "hpexp: measure Python concurrency instead of guessing.",
            "",
            "usage: python -m hpexp [workload=NAME] [executor=NAME] [KEY=VALUE ...] [-m]",
            "",
            "  python -m hpexp workload=pi executor=pool workers=1,2,4,8 -m   # a sweep",
            "  python -m hpexp workload=crawl workload.requests=100           # one run",
            "  python -m hpexp +experiment=julia_ch7 -m                       # a preset",
            "",
            "A comma list sweeps a key; -m runs every combination, one job each. A workload's",
            "or executor's own keys go under its name (workload.samples=2000000).",
            "",
            "workloads (workload=NAME):",
            *_options(conf, "workload"),
            "",
            "executors (executor=NAME):",
            *_options(conf, "executor"),
            "",
            "presets (+experiment=NAME -m: the book's experiments, swept):",
            *_options(conf, "experiment"),
            "",
            "top-level keys (defaults):",
            *_top_level(conf),
            "",
            "results and reports:",
            "  results/runs/... (one run) and results/sweeps/... (-m): one parquet row per run;",
            '  in Python: hpexp.load_results("results")',
            "  python -m hpexp.report PATH              tables, verdicts and an HTML report",
            "  python -m hpexp.report --compare A B     is B faster or slower than A",
            "    ... --fail-slower 5%                   exit 1 on a significant slowdown (CI)",
            "  python -m hpexp ... hydra/launcher=joblib -m   jobs side by side (or "
            "submitit_slurm)",
            "",
            "more:",
            "  python -m hpexp --cfg job [KEYS]     the composed config, without running it",
            "  python -m hpexp -sc install=bash     tab completion of keys and options (bash)",
            "  python -m hpexp --hydra-help         Hydra's own options (launchers, sweepers)",
        ]
    )
