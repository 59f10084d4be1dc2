"""hpexp's own warnings on a terminal, as the one line they are."""

import warnings


def print_hpexp_warnings_as_one_line() -> None:
    """hpexp's own warnings (an unreadable results file) print as their message alone: the
    source line Python adds would point inside hpexp, not at anything the user can change."""
    default = warnings.formatwarning

    def formatted(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        line: str | None = None,
    ) -> str:
        if str(message).startswith("hpexp: "):
            return f"{message}\n"
        return default(message, category, filename, lineno, line)

    warnings.formatwarning = formatted
