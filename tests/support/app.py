"""Settings and app construction shared by the tests."""

from __future__ import annotations

from recipevault.config import Settings, load_settings

TEST_HOST = "testserver"


def make_settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "env": "test",
        "database_url": database_url,
        "allowed_hosts": [TEST_HOST, "localhost", "127.0.0.1"],
        "log_format": "json",
    }
    values.update(overrides)
    return load_settings(**values)
