"""The book's chapter 8 crawl: the workload, one HTTP client per concurrency model, and the
delay server it crawls."""
