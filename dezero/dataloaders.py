"""dezero.dataloaders (being written)."""
