"""The HTTP kit: routing, query strings, pagination, uploads, body limits, middleware, metrics
and health."""
