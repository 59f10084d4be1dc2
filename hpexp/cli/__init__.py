"""The command line: the Hydra app and its callbacks, error translation, the report command."""
