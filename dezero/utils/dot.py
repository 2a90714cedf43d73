"""Computation graphs as DOT text and pictures (being written)."""
