"""Hydra's and OmegaConf's multi-line composition errors, reworded as one line.

Each message names the key and what it accepts, in the same shape as :class:`ConfigError`.
"""

import difflib
import re

import yaml
from hydra.errors import HydraException, MissingConfigException, OverrideParseException
from omegaconf import DictConfig
from omegaconf.errors import ConfigAttributeError, ConfigKeyError, OmegaConfBaseException

_INTERNAL_KEYS = {"hydra", "_target_", "defaults"}
_TYPE_NAMES = {"Integer": "an integer", "Float": "a number", "Boolean": "true | false"}


def is_hydra_error(exc: BaseException) -> bool:
    """Raised by Hydra, OmegaConf, or the YAML parser they read a config file with."""
    return isinstance(exc, HydraException | OmegaConfBaseException | yaml.YAMLError)


def _yaml_error(exc: yaml.YAMLError) -> str:
    """``cannot read config file PATH: what (line L, column C)``."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or getattr(exc, "context", None) or _first_line(exc)
    if mark is None:
        return f"cannot read a config file: {problem}"
    where = f"line {mark.line + 1}, column {mark.column + 1}"
    return f"cannot read config file '{mark.name}': {problem} ({where})"


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _allowed(message: str) -> str:
    if match := re.search(r"expected one of \[(.*)\]", message):
        return " | ".join(part.strip() for part in match.group(1).split(","))
    if match := re.search(r"converted to (\w+)", message):
        return _TYPE_NAMES.get(match.group(1), match.group(1))
    if "not a valid bool" in message:
        return _TYPE_NAMES["Boolean"]
    if "to string" in message:
        return "a string"
    if "is not a ListConfig, list or tuple" in message:
        return "a list, e.g. [1,2]"
    return message


def cannot_delete(key: str) -> str:
    """A deletion (``~key``) of a key every run needs, refused before or by Hydra alike."""
    return f"cannot delete '{key}' (~{key}): every run needs it; set it instead ({key}=VALUE)"


def _suggestion(hint: str | None) -> str:
    return f"did you mean '{hint}'? " if hint else ""


def _close_match(name: str, options: list[str]) -> str | None:
    return next(iter(difflib.get_close_matches(name, options, n=1)), None)


def unknown_top_level_key(key: str, root: object, allowed: list[str]) -> str:
    """A top-level key the config lacks, pointing into a group that has it (``samples`` is
    ``workload.samples``), else at a close spelling."""
    groups = [g for g in ("workload", "executor") if isinstance(root, DictConfig) and g in root]
    nested = next((f"{g}.{key}" for g in groups if key in (root[g] or {})), None)
    hint = nested or _close_match(key, allowed)
    return f"unknown key '{key}' ({_suggestion(hint)}allowed: {', '.join(allowed)})"


def _unknown_key(cause: ConfigAttributeError | ConfigKeyError) -> str:
    parent = cause.parent_node
    keys = (
        sorted(k for k in parent if k not in _INTERNAL_KEYS)
        if isinstance(parent, DictConfig)
        else []
    )
    if "." not in str(cause.full_key):
        return unknown_top_level_key(str(cause.key), parent, keys)
    hint = _close_match(str(cause.key), keys)
    return f"unknown key '{cause.full_key}' ({_suggestion(hint)}allowed: {', '.join(keys)})"


def _group_and_option(path: str) -> str:
    """``executor 'nope'`` from ``executor/nope``, ``hydra/launcher 'x'`` from a nested group;
    an option that is itself a path (``executor=../../etc/passwd``) is quoted whole."""
    group, _, name = path.rpartition("/")
    if any(part in (".", "..") for part in group.split("/")):
        group, _, name = path.partition("/")
    return f"{group or 'config'} '{name}'"


def describe_hydra_error(exc: BaseException) -> str:
    """A one-line description of a Hydra or OmegaConf error raised while composing the config."""
    if isinstance(exc, yaml.YAMLError):
        return _yaml_error(exc)
    if isinstance(exc, MissingConfigException) and exc.options:
        options = ", ".join(exc.options)
        missing = exc.missing_cfg_file or ""
        hint = _close_match(missing.rpartition("/")[2], list(exc.options))
        return f"unknown {_group_and_option(missing)} ({_suggestion(hint)}available: {options})"
    first = _first_line(exc)
    if match := re.match(r"Ambiguous value for argument '(([^=]+)=.*)'", first):
        override, key = match.groups()
        return f"'{override}' is a sweep: add -m to run one job per value (a list: {key}=[a,b])"
    if match := re.match(r"Could not override '([^']+)'\. No match in the defaults list", first):
        group = match.group(1)
        return f"'{group}' has no default to override: add it with +{group}=NAME"
    if isinstance(exc, OverrideParseException):
        return f"cannot parse override '{exc.override}': {exc.message.splitlines()[0]}"
    cause = exc if isinstance(exc, OmegaConfBaseException) else exc.__cause__
    if isinstance(cause, ConfigAttributeError | ConfigKeyError) and cause.full_key:
        return _unknown_key(cause)
    if isinstance(cause, OmegaConfBaseException) and cause.full_key:
        message = _first_line(cause)
        if "does not support deletion" in message:
            return cannot_delete(cause.full_key)
        return (
            f"invalid value for '{cause.full_key}': {cause.value!r} (allowed: {_allowed(message)})"
        )
    if cause is not None:
        return f"{_first_line(exc)}: {_first_line(cause)}"
    return _first_line(exc)
