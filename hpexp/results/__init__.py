"""Tidy results: the one schema of columns, the one row builder, the store, and resume checks."""
