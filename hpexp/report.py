"""``python -m hpexp.report``: the report and compare command (see :mod:`hpexp.cli.report`)."""

from hpexp.cli.report import main

if __name__ == "__main__":
    main()
