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
        "public_url": "https://testserver",
        # Cheap hashing keeps the suite fast; the parameters are still Argon2id.
        "argon2_time_cost": 1,
        "argon2_memory_kib": 64,
        "argon2_parallelism": 1,
    }
    values.update(overrides)
    return load_settings(**values)
