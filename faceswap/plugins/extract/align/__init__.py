"""Landmark plugins: each module provides ``landmarks(image_bgr, box) -> (68, 2) float32``."""
