"""Face detector plugins: each module provides ``detect(image_bgr) -> list[Detection]``."""
