"""Statistics, tables, plots and the HTML page, derived from tidy results (never stored)."""
