"""Test suites users can run against their own plugins (they need pytest, which hpexp does not)."""
