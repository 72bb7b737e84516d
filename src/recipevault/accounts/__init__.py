"""Accounts: users, credentials, browser sessions and API tokens."""
