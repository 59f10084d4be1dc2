"""``python -m hpexp.server``: the book's delay server on its own (see
:mod:`hpexp.workloads.crawl.server`)."""

from hpexp.workloads.crawl.server import main

if __name__ == "__main__":
    main()
