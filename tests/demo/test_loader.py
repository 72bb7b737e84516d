"""Loading demo recipes into the database, through the service and from the command line."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.config import Settings
from recipevault.db import Database
from recipevault.demo import loader
from recipevault.demo.source import DEMO_DATA_PATH, read_demo_recipes
from recipevault.demo.synth import synthesize
from recipevault.policy import Visibility, unscoped
from recipevault.recipes.models import Recipe
from tests.support.demo import write_demo_data


async def test_load_makes_public_credited_recipes(
    database: Database, session: AsyncSession, settings: Settings, tmp_path: Path
) -> None:
    demos = read_demo_recipes(write_demo_data(tmp_path / "recipes.json"))
    assert await loader.load(database, settings, demos) == 3
    assert await loader.has_demo_recipes(database)
    recipes = (await session.scalars(unscoped(select(Recipe)).order_by(Recipe.title))).all()
    assert [r.title for r in recipes] == ["Dish 1", "Dish 2", "Dish 3"]
    for recipe in recipes:
        assert recipe.visibility == Visibility.PUBLIC
        assert recipe.source_url
        assert recipe.source_url.startswith("https://en.wikibooks.org/wiki/")
        assert recipe.attribution
        assert "CC BY-SA 4.0" in recipe.attribution
        assert recipe.servings == 4
        assert recipe.total_minutes == 30


async def test_demo_account_is_reused(
    database: Database, session: AsyncSession, settings: Settings, tmp_path: Path
) -> None:
    demos = read_demo_recipes(write_demo_data(tmp_path / "recipes.json", count=1))
    await loader.load(database, settings, demos)
    await loader.load(database, settings, list(synthesize(demos, 5)))
    owners = set((await session.scalars(unscoped(select(Recipe.owner_id)))).all())
    households = set((await session.scalars(unscoped(select(Recipe.household_id)))).all())
    assert len(owners) == len(households) == 1


def test_cli_loads_once_and_synthesises(tmp_path: Path) -> None:
    wheel = tmp_path / "demo.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.write(
            write_demo_data(tmp_path / "data.json", count=4),
            DEMO_DATA_PATH.format(language="en-us"),
        )
    env = {"RECIPEVAULT_DATABASE_URL": f"sqlite:///{tmp_path}/cli.db", "PATH": "/usr/bin:/bin"}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "recipevault.cli", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    assert cli("db", "upgrade").returncode == 0
    first = cli("demo", "load", "--if-empty", "--wheel", str(wheel))
    assert first.returncode == 0, first.stderr
    assert "loaded 4 demo recipes" in first.stdout
    assert loader.DEMO_PASSWORD in first.stdout
    again = cli("demo", "load", "--if-empty", "--wheel", str(wheel))
    assert again.stdout.strip() == "demo recipes already loaded"
    synth = cli("demo", "synth", "--count", "25", "--wheel", str(wheel))
    assert "loaded 25 synthetic recipes" in synth.stdout, synth.stderr


def test_cli_reports_a_bad_wheel_in_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.whl"
    bad.write_bytes(b"not a zip")
    env = {"RECIPEVAULT_DATABASE_URL": f"sqlite:///{tmp_path}/cli.db", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-m", "recipevault.cli", "demo", "load", "--wheel", str(bad)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1
