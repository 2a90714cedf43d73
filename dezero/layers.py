"""dezero.layers (being written)."""
