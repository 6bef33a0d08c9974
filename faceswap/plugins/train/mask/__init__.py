"""Mask model plugins: segmentation networks that `faceswap mask train` fits to painted masks."""
