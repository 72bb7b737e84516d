"""Durable background jobs: imports, exports, backups and image processing."""
