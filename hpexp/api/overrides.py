"""Checks on the overrides themselves, before Hydra acts on them (creates dirs, instantiates).

Some overrides would do harm before any value is validated: ``results_dir=`` (Hydra puts its
dirs at the filesystem root); deleting a top-level key or group (``~workers``: Hydra's errors
then name the wrong thing; a key inside a group is its class's to refuse, by its signature, and
a plugin whose class has a default for it may drop it); a value that names code to run outside
the two plugin groups (Hydra instantiates ``hydra.callbacks`` entries, and the logging config
names handler classes, before hpexp sees the config), set key by key or as a whole node
(``hydra={callbacks:...}``); the environment of every job and child (``hydra.job.env_set``);
and a path that leaves the config dirs (``+experiment=../../x``) or the job's dir
(``hydra.output_subdir=/x``).
"""

import re
from dataclasses import fields
from pathlib import PurePosixPath

from hpexp.api.hydra_errors import cannot_delete
from hpexp.api.rounds import check_no_round
from hpexp.api.schema import HpexpConfig
from hpexp.core.errors import ConfigError, Refused

#: subtrees of Hydra's own config whose values name code that Hydra runs
_CODE_SUBTREES = ("hydra.callbacks", "hydra.job_logging", "hydra.hydra_logging")
#: subtrees of Hydra's own config that reach every job's child processes
_ENVIRONMENT_SUBTREES = ("hydra.job.env_set", "hydra.job.env_copy")
#: the only command-line ``_target_`` keys: plugins, checked to subclass Workload / Executor
_PLUGIN_TARGETS = ("workload._target_", "executor._target_")
#: a dict value with a ``_target_`` key: ``hydra.launcher={_target_:...}``
_HOLDS_TARGET = re.compile(r"[{,]\s*['\"]?_target_['\"]?\s*:")
#: top-level switches: OmegaConf would read ``report=2`` or ``resume=yes`` as true
_BOOL_KEYS = {f.name for f in fields(HpexpConfig) if f.type is bool}
_BOOLS = ("true", "false")
#: the top-level keys that hold values, not a config group's choice
_VALUE_KEYS = {f.name for f in fields(HpexpConfig)} - {"workload", "executor", "defaults"}


def _within(name: str, subtrees: tuple[str, ...]) -> bool:
    """``name`` is in one of ``subtrees``, or is a node holding one (``hydra``)."""
    return any(name == t or name.startswith(f"{t}.") or t.startswith(f"{name}.") for t in subtrees)


def _items(value: str) -> list[str]:
    """A value's items: one, or a sweep's (``a,b``), unquoted and lower-case."""
    return [item.strip().strip("'\"").lower() for item in value.strip("[]()").split(",")]


def _leaves(value: str) -> bool:
    """``value`` (or one of a sweep's values) is an absolute path or climbs with ``..``."""
    return any(
        PurePosixPath(item).is_absolute() or ".." in PurePosixPath(item).parts
        for item in _items(value)
    )


def _check_value(name: str, value: str) -> None:
    """A switch is true or false; a group's choice names a config in it; Hydra's copies of
    the config stay in the job dir; no interpolation (``${...}``) is resolved from argv."""
    if "${" in value:
        raise ConfigError(name, value, "a plain value (put an interpolation in a config file)")
    if name in _BOOL_KEYS and not set(_items(value)) <= set(_BOOLS):
        raise ConfigError(name, value, " | ".join(_BOOLS))
    names_a_config = "." not in name and name not in _VALUE_KEYS
    if names_a_config and value.strip().lower() in ("null", "~", ""):
        raise ConfigError(name, value, f"the name of a config in the '{name}' group")
    if (names_a_config or name == "hydra.output_subdir") and _leaves(value):
        where = "its job dir" if name == "hydra.output_subdir" else f"the '{name}' group"
        raise ConfigError(name, value, f"a name inside {where} (no '..', no leading '/')")


def check_overrides(overrides: list[str]) -> None:
    """Refuse, in one line each, what must not reach Hydra."""
    check_no_round(overrides)
    for override in overrides:
        key, equals, value = override.partition("=")
        name = key.lstrip("+~")
        if key.startswith("~") and "." not in name:
            raise Refused(name, cannot_delete(name))
        if equals and name == "results_dir" and not value.strip():
            raise ConfigError(
                "results_dir", value, "a directory path, relative to the cwd or absolute"
            )
        if equals:
            _check_value(name, value)
        in_hydra = name.split(".")[0].split("/")[0] == "hydra"
        names_code = name.endswith("._target_") or name == "_target_"
        names_code |= in_hydra and _HOLDS_TARGET.search(value) is not None
        if _within(name, _CODE_SUBTREES) or (names_code and name not in _PLUGIN_TARGETS):
            raise Refused(
                name,
                f"'{name}' cannot be set on the command line: it names code to run "
                "(put it in a config file of your own, on hydra.searchpath)",
            )
        if _within(name, _ENVIRONMENT_SUBTREES):
            raise Refused(
                name,
                f"'{name}' cannot be set on the command line: it sets the environment of every "
                "job and its child processes (put it in a config file of your own, on "
                "hydra.searchpath)",
            )
