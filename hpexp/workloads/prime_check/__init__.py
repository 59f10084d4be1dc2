"""The book's prime validation (chapter 9): each large number's factor range split over the
workers, who tell each other through a shared flag (:mod:`.flags`) to stop once a factor is
found (the workload in :mod:`.workload`)."""
