"""The command line over :mod:`hpexp.api`: argv, printing, exit codes, and the report command."""
