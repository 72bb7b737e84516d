"""Reusing a plan: copying days, weeks saved as templates, and templates repeated as rotations."""
