"""Model plugins for `faceswap train -t NAME`."""
