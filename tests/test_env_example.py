"""`.env.example` documents every setting, and only real ones."""

from __future__ import annotations

import re
from pathlib import Path

from recipevault.config import Settings

ROOT = Path(__file__).resolve().parent.parent


def _documented(path: Path) -> set[str]:
    return set(re.findall(r"^#?\s*RECIPEVAULT_([A-Z0-9_]+)=", path.read_text(), re.MULTILINE))


def _settings_names() -> set[str]:
    return {name.upper() for name in Settings.model_fields}


def test_env_example_lists_every_setting() -> None:
    assert _documented(ROOT / ".env.example") == _settings_names()


def test_readme_configuration_table_lists_every_setting() -> None:
    readme = (ROOT / "README.md").read_text()
    missing = {name for name in _settings_names() if f"`RECIPEVAULT_{name}`" not in readme}
    assert missing == set()
