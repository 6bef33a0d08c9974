"""Plugins: one file per plugin, found by faceswap.lib.registry."""
