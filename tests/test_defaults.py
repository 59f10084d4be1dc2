"""Each default is written once, in ``conf/``: a built-in class's own keyword defaults (for
Python callers) can never drift from its YAML, and the YAML names every keyword."""

import inspect

import pytest
from hydra._internal.utils import _locate
from omegaconf import OmegaConf

from hpexp.cli.api import conf_dir

CONFIGS = sorted((conf_dir() / "workload").glob("*.yaml")) + sorted(
    (conf_dir() / "executor").glob("*.yaml")
)
#: given by hpexp itself, never by a group's YAML
FROM_HPEXP = {"self", "workers"}


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_python_defaults_are_the_yaml_values(path):
    values = OmegaConf.to_container(OmegaConf.load(path))
    base = [d for d in values.pop("defaults") if "/" not in d and d != "_self_"]
    if base:  # a variant of another option of its group (uvloop = asyncio + loop): only keys
        (name,) = base  # that option has, and a value different from its default
        parent = OmegaConf.to_container(OmegaConf.load(path.parent / f"{name}.yaml"))
        assert values
        assert all(parent[key] != value for key, value in values.items())
        return
    cls = _locate(values.pop("_target_"))
    parameters = {
        name: p for name, p in inspect.signature(cls.__init__).parameters.items()
        if name not in FROM_HPEXP
    }  # fmt: skip
    assert set(values) == set(parameters), "the YAML names every keyword, and no other"
    for name, value in values.items():
        default = parameters[name].default
        # a sequence default is a tuple in Python (immutable), a list in YAML
        assert (list(default) if isinstance(default, tuple) else default) == value, name


def test_top_level_defaults_are_in_config_yaml_only():
    from hpexp.cli.schema import HpexpConfig

    schema = OmegaConf.structured(HpexpConfig)
    config = OmegaConf.load(conf_dir() / "config.yaml")
    for key in ("workers", "repeats", "warmup", "seed", "trial_timeout_s", "results_dir"):
        assert OmegaConf.is_missing(schema, key), f"{key} has a second default in the schema"
        assert key in config
