"""dezero.functions_conv (being written)."""
