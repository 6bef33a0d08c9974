"""Shared pieces: geometry, files, model blocks, training."""
