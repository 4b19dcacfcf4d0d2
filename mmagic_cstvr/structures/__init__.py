"""Conventions every layer shares: exact time (frame rates, positions, windows), the pixel
lattice, padding, and colour (matrices, levels, sample types). Imports nothing else of cstvr."""
