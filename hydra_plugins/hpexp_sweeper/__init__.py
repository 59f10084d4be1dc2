"""hpexp's Hydra sweeper plugin (found by Hydra's scan of the hydra_plugins namespace)."""
