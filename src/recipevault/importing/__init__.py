"""Bringing recipes in: from web pages, pasted HTML and other apps' export files."""
