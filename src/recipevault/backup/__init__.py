"""Backups of the whole site (every table and media file) and restoring them into an empty
instance, on SQLite or PostgreSQL whichever made them."""
