"""dezero.models (being written)."""
