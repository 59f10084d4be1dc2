"""The book's locking experiments (chapter 9): workers adding to one shared counter, with and
without a lock, in each kind of shared store (:mod:`.stores`, the workload in :mod:`.workload`)."""
