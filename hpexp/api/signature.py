"""A plugin's parameters are its constructor's: a key it does not take is refused, and each value
is checked against the type its parameter declares, beside the class's own checks of ranges
and choices.

This is hpexp's schema for the ``workload`` and ``executor`` groups: one declaration per
parameter (name and type in the signature, the constraint in the constructor, the default in
the group's YAML), the same for built-in classes and a user's own. Hydra refuses keys a YAML
does not have (its configs are in struct mode); a Hydra structured schema would need every
built-in class imported before composing, 0.29 s on every command, where this check runs when
the one chosen class is built anyway.
"""

import inspect
import types
import typing
from collections.abc import Sequence
from typing import Any

from hpexp.core.errors import ConfigError, Refused

#: how an allowed type reads in a ConfigError
_NAMES = {int: "an integer", float: "a number", str: "a string", bool: "true | false"}


def check_keys(group: str, cls: type, values: dict[str, Any], given: Sequence[str]) -> None:
    """Refuse a key the constructor does not take, and a missing one it needs (deleted with
    ``~key``, or absent from a YAML); ``given`` are the parameters hpexp passes (``workers``)."""
    signature = inspect.signature(cls.__init__)
    taken = [name for name in list(signature.parameters)[1:] if name not in given]
    takes_any = any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values())
    unknown = [key for key in values if key not in taken]
    if unknown and not takes_any:
        key = f"{group}.{unknown[0]}"
        raise Refused(key, f"unknown key '{key}' (allowed: {', '.join(sorted(taken))})")
    required = [
        name
        for name in taken
        if signature.parameters[name].default is inspect.Parameter.empty
        and signature.parameters[name].kind
        not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    ]
    missing = [name for name in required if name not in values]
    if missing:
        key = f"{group}.{missing[0]}"
        raise Refused(
            key,
            f"cannot run without '{key}': {cls.__name__} needs it (set {key}=VALUE, or give it "
            "in the YAML)",
        )


def wrongly_typed(group: str, cls: type, values: dict[str, Any]) -> ConfigError | None:
    """The refusal of the first value whose type its parameter does not declare, if any.

    Raised only where the constructor accepted the value or failed on it without a refusal of
    its own: a constructor's own check names the range as well (``an integer >= 1``).
    """
    hints = typing.get_type_hints(cls.__init__)
    for key, value in values.items():
        if key in hints and not _fits(value, hints[key]):
            return ConfigError(f"{group}.{key}", value, _described(hints[key]))
    return None


def _fits(value: Any, hint: Any) -> bool:
    if hint is Any:
        return True
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        return any(_fits(value, arm) for arm in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if origin is not None and issubclass(origin, Sequence) and origin is not str:
        item = typing.get_args(hint)[0] if typing.get_args(hint) else Any
        return isinstance(value, list | tuple) and all(_fits(v, item) for v in value)
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, hint) if isinstance(hint, type) else True


def _described(hint: Any) -> str:
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        arms = typing.get_args(hint)
        named = [_described(arm) for arm in arms if arm is not type(None)]
        return " or ".join(["null", *named] if type(None) in arms else named)
    if origin is not None and issubclass(origin, Sequence):
        item = typing.get_args(hint)[0] if typing.get_args(hint) else Any
        return f"a list of {_described(item).removeprefix('an ').removeprefix('a ')}s"
    return _NAMES.get(hint, getattr(hint, "__name__", str(hint)))
