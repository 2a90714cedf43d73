"""Downloads into the cache ~/.dezero (being written)."""
