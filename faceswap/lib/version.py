"""faceswap's version: here, at the bottom floor, so that files it writes (provenance tags,
alignments files, reports) can record it without importing the package above them."""

__version__ = "0.1.0"
