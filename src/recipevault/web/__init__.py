"""The website kit: templates and static files, forms, flash messages and CSRF."""
