"""Errors users see as one line: what is wrong, which key, what is allowed."""

import math
from typing import Any


def one_line(exc: BaseException) -> str:
    """``Type: first line of the message``: how an exception reads in a results row."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


class HpexpError(Exception):
    """An expected failure: reported as a one-line message with a non-zero exit, no traceback."""

    exit_code = 1


class ConfigError(HpexpError):
    """A configuration value that cannot run; raised before anything is written."""

    exit_code = 2

    def __init__(self, key: str, value: Any, allowed: str) -> None:
        self.key, self.value, self.allowed = key, value, allowed
        super().__init__(f"invalid value for '{key}': {value!r} (allowed: {allowed})")

    def under(self, prefix: str) -> "ConfigError":
        """The same error with the key qualified by its config node, e.g. ``workload.samples``."""
        return ConfigError(f"{prefix}.{self.key}", self.value, self.allowed)


class Refused(ConfigError):
    """A refusal worded as a whole sentence (an unknown key, a command line), exit code 2."""

    def __init__(self, key: str, message: str) -> None:
        self.key, self.value, self.allowed = key, None, ""
        HpexpError.__init__(self, message)


class MissingDependency(ConfigError):
    """A plugin that imports a module which is not installed: name the module, not a package
    to install (an import name is often not its PyPI name, and a guessed one may be another
    project's)."""

    def __init__(self, key: str, target: str, module: str) -> None:
        self.key, self.value, self.allowed = key, target, f"module '{module}' installed"
        HpexpError.__init__(
            self,
            f"'{key}' {target!r} cannot be imported: it imports '{module}', which is not "
            "installed (install the package that provides it)",
        )


#: the largest integer a results column (parquet int64) holds
MAX_INT = 2**63 - 1


def require_int(key: str, value: Any, minimum: int, maximum: int | None = None) -> int:
    """``value`` as an int from ``minimum`` to ``maximum`` (bools and floats refused), else a
    ConfigError.

    Integers beyond int64 are refused even without ``maximum``: their rows could not be written.
    """
    is_int = isinstance(value, int) and not isinstance(value, bool)
    upper = MAX_INT if maximum is None else maximum
    if is_int and minimum <= value <= upper:
        return value
    if maximum is not None or (is_int and value > upper):
        bound = "2**63-1" if maximum is None else maximum
        raise ConfigError(key, value, f"an integer from {minimum} to {bound}")
    raise ConfigError(key, value, f"an integer >= {minimum}")


def require_optional_int(key: str, value: Any, minimum: int) -> int | None:
    """None, or ``value`` as an int >= ``minimum`` (see :func:`require_int`)."""
    return None if value is None else require_int(key, value, minimum)


#: the longest a limit or a wait may be: the kernel's interval timer overflows from about 1e10 s,
#: and no run of a benchmark is meant to last longer
MAX_SECONDS = 1e6


def require_seconds(key: str, value: Any, zero_ok: bool = False) -> float:
    """``value`` as a finite number of seconds > 0 (>= 0 if ``zero_ok``; bools refused), at most
    :data:`MAX_SECONDS`, else a ConfigError."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value < 0
        or (value == 0 and not zero_ok)
    ):
        raise ConfigError(key, value, f"a number of seconds {'>=' if zero_ok else '>'} 0")
    if value > MAX_SECONDS:
        raise ConfigError(key, value, f"a number of seconds up to {MAX_SECONDS:.0f} (11 days)")
    return float(value)


def require_bool(key: str, value: Any) -> bool:
    """``value`` as a bool (YAML's true/false), else a ConfigError."""
    if not isinstance(value, bool):
        raise ConfigError(key, value, "true | false")
    return value


def require_choice(key: str, value: Any, choices: tuple[str, ...]) -> str:
    """``value`` as one of ``choices``, else a ConfigError listing them."""
    if value not in choices:
        raise ConfigError(key, value, " | ".join(choices))
    return str(value)
