"""The audit log: who did what to whom, from where, and when."""
