"""hpexp as a library: jobs and sweeps composed by Hydra and run in this process, without
argv or exit codes (the command line, :mod:`hpexp.cli`, is built on it)."""
