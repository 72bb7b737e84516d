"""Site administration: users, site settings and the audit log, for admins."""
