"""``python -m hpexp`` / ``hpexp``: :func:`hpexp.api.launch.launch`, printed, as an exit code.

What runs is the library's; this module adds what only a command has: Hydra's flags, the
signal handlers, the summary table on stdout, one line per failure on stderr, the exit code.
"""

import logging
import os
import sys
import threading
from typing import Any, NoReturn

from hpexp.api.described import described
from hpexp.api.launch import conf_dir, launch
from hpexp.api.outcome import RunReport
from hpexp.api.overrides import check_overrides
from hpexp.cli.help import help_text
from hpexp.cli.one_line_warnings import print_hpexp_warnings_as_one_line
from hpexp.core.errors import ConfigError, Refused
from hpexp.core.interrupts import INTERRUPTED, Terminated, handled, install_signal_handlers
from hpexp.core.processes import stop_for_exit, terminate_descendants

#: Hydra's flags that show something and run no job: Hydra's own code answers them
_HYDRA_ONLY = ("cfg", "info", "hydra_help", "shell_completion")
#: Hydra's flags hpexp refuses, and why
_REFUSED_FLAGS = {
    "experimental_rerun": (
        "--experimental-rerun",
        "'--experimental-rerun' is not supported: it unpickles a file, which runs any code in "
        "it (to run a sweep's missing jobs again, use resume=true)",
    ),
    "config_path": (
        "--config-path",
        "'--config-path' is not supported: add your configs with --config-dir DIR",
    ),
    "config_name": (
        "--config-name",
        "'--config-name' is not supported: put your settings in a preset "
        "(+experiment=NAME, in --config-dir DIR)",
    ),
}


def _exit_now(code: int) -> NoReturn:
    """Exit at once, skipping libraries' atexit hooks (after every result is written).

    Used when those hooks would wait for threads Python cannot kill, or close clusters whose
    processes were already stopped (and print tracebacks doing so).
    """
    sys.stdout.flush()
    sys.stderr.flush()
    logging.shutdown()
    os._exit(code)


def _exit(code: int) -> NoReturn:
    """Exit with ``code``, without waiting for pool threads a timed-out run left hung."""
    if any(t.name.startswith("hpexp") and t.is_alive() for t in threading.enumerate()):
        terminate_descendants()
        _exit_now(code)
    sys.exit(code)


def _show_with_hydra(argv: list[str]) -> None:
    """``--cfg``, ``--info``, ``--hydra-help``, ``--shell-completion``: Hydra's own answers."""
    import hydra

    from hpexp.api.schema import register_schemas

    register_schemas()
    sys.argv[1:] = argv
    os.environ["HYDRA_FULL_ERROR"] = "1"  # Hydra raises, and hpexp words it as one line
    hydra.main(version_base="1.3", config_path=str(conf_dir()), config_name="config")(
        lambda cfg: None
    )()


def _refused_usage(message: str) -> NoReturn:
    raise Refused("argv", f"{message} (see python -m hpexp --help)")


def _parsed(argv: list[str]) -> Any:
    """Hydra's flags and the overrides, in any order (``... -m repeats=2`` too); a flag Hydra
    does not know is one line, not argparse's usage."""
    from hydra._internal.utils import get_args_parser

    parser = get_args_parser()
    parser.error = _refused_usage  # type: ignore[method-assign]
    args = parser.parse_intermixed_args(argv)
    for name, (flag, message) in _REFUSED_FLAGS.items():
        if getattr(args, name):
            raise Refused(flag, message)
    return args


def _printed(report: RunReport) -> None:
    """The summary table and each workload's verdict, on stdout."""
    if report.frame is None:
        return
    from hpexp.analysis.tables import format_summary
    from hpexp.analysis.verdict import by_workload
    from hpexp.cli.report import print_verdicts

    print(format_summary(report.frame))
    print_verdicts(report.parts or by_workload(report.frame))


def _exit_code(report: RunReport, full_error: bool) -> int:
    """Each failure as one line on stderr, and the exit code they mean."""
    if report.refused:
        if full_error:
            raise report.refused[0]
        for message in dict.fromkeys(str(exc) for exc in report.refused):
            print(f"hpexp: {message}", file=sys.stderr)
        return ConfigError.exit_code
    if report.unexpected:
        if full_error:
            raise report.unexpected[0]
        codes = [_report_error(exc) for exc in report.unexpected]
        return codes[0]
    if report.failed_jobs:
        failed = len(report.failed_jobs)
        print(f"hpexp: {failed} job(s) failed: " + "; ".join(report.failed_jobs), file=sys.stderr)
        return 1
    return 0


def main() -> None:
    """Entry point: run the job or sweep, and report expected failures as one line on stderr."""
    argv = sys.argv[1:]
    if {"--help", "-h"} & set(argv):
        print(help_text(conf_dir()))  # hpexp's help; Hydra's own is --hydra-help
        return
    full_error = os.environ.get("HYDRA_FULL_ERROR") == "1"
    if os.getcwd() not in sys.path:
        # the console script behaves like ``python -m hpexp``: user modules in cwd import
        sys.path.insert(0, os.getcwd())
    print_hpexp_warnings_as_one_line()
    install_signal_handlers()
    report = RunReport()
    try:
        args = _parsed(argv)
        check_overrides(args.overrides)
        if any(getattr(args, name) for name in _HYDRA_ONLY):
            _show_with_hydra(argv)
            return
        launch(args.overrides, args.multirun, report, args.config_dir)
        _printed(report)
    except (KeyboardInterrupt, Terminated) as exc:
        handled()
        stop_for_exit()
        try:
            _printed(report)  # the finished jobs'
        except Exception as error:  # the interrupt's exit code and line come first
            print(f"hpexp: warning: no summary of the finished jobs: {error!r}", file=sys.stderr)
        print(INTERRUPTED, file=sys.stderr)
        _exit_now(getattr(exc, "exit_code", 130))
    except Exception as exc:
        if full_error:
            raise
        _exit(_report_error(exc))
    _exit(_exit_code(report, full_error))


def _report_error(exc: Exception) -> int:
    """Print ``exc`` as one line on stderr and return the exit code."""
    message, code = described(exc)
    print(f"hpexp: {message}", file=sys.stderr)
    return code
