"""Suggestions that explain themselves: a recipe for each empty slot-day, and why."""
