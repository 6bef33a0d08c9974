"""Colour plugins: match the swapped face's colour to the original face (``-c``)."""
