"""Loading one migration module, for tests of the SQL it runs on existing data."""

from __future__ import annotations

import importlib.util
from types import ModuleType

from recipevault.db.migrate import MIGRATIONS_DIR


def load_migration(revision: str) -> ModuleType:
    path = next((MIGRATIONS_DIR / "versions").glob(f"*_{revision}_*.py"))
    spec = importlib.util.spec_from_file_location(f"migration_{revision}", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
