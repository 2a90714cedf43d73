"""dezero.transforms (being written)."""
