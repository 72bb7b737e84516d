"""Openly licensed demo recipes: reading them from their published source, and scaling them up."""
