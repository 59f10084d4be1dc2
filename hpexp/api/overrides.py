"""Checks on the overrides themselves, before Hydra acts on them (creates dirs, instantiates).

Three kinds of override would do harm before any value is validated: ``results_dir=`` (Hydra
puts its dirs at the filesystem root), deleting a top-level key or group (``~workers``: Hydra's
errors then name the wrong thing; a key inside a group is its class's to refuse, by its
signature, and a plugin whose class has a default for it may drop it), and a value that names
code to run outside the two plugin groups (Hydra instantiates ``hydra.callbacks`` entries, and
the logging config names handler classes, before hpexp sees the config).
"""

from hpexp.api.hydra_errors import cannot_delete
from hpexp.api.rounds import check_no_round
from hpexp.core.errors import ConfigError, Refused

#: subtrees of Hydra's own config whose values name code that Hydra runs
_CODE_SUBTREES = ("hydra.callbacks", "hydra.job_logging", "hydra.hydra_logging")
#: the only command-line ``_target_`` keys: plugins, checked to subclass Workload / Executor
_PLUGIN_TARGETS = ("workload._target_", "executor._target_")


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
        names_code = name.endswith("._target_") or name == "_target_"
        in_code_subtree = any(name == t or name.startswith(f"{t}.") for t in _CODE_SUBTREES)
        if in_code_subtree or (names_code and name not in _PLUGIN_TARGETS):
            raise Refused(
                name,
                f"'{name}' cannot be set on the command line: it names code to run "
                "(put it in a config file of your own, on hydra.searchpath)",
            )
