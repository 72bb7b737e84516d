"""Which parts of RecipeVault may import which, checked on the import graph (grimp): a shortcut
that ties two parts together fails here instead of settling into the code."""

from __future__ import annotations

import itertools

import grimp
import pytest

ROOT = "recipevault"
# The kits: what every feature builds on, knowing nothing of features (see docs/architecture.md).
KITS = ("db", "http", "web")
# The modules at the root that kits may use: settings, errors, "now", logging, the version.
BASE = {"config", "errors", "clock", "logging"}


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(ROOT)


def _features(graph: grimp.ImportGraph) -> list[str]:
    """The feature packages: the package's subpackages that hold modules of their own, other
    than the kits."""
    return sorted(
        name
        for module in graph.find_children(ROOT)
        if graph.find_children(module)
        and (name := module.split(".")[1]) not in (*KITS, "migrations")
    )


def _imports(graph: grimp.ImportGraph, importer: str, imported: str) -> list[str]:
    found = graph.find_matching_direct_imports(
        import_expression=f"{ROOT}.{importer}.** -> {ROOT}.{imported}.**"
    )
    return sorted(f"{i['importer']} -> {i['imported']}" for i in found)


# Two feature packages that still import each other, and why. A pair leaves this list when
# the cycle is undone; a new pair is a new cycle, and fails the test.
STILL_TWO_WAY = {
    # A request's identity (accounts.auth) reads the household memberships, and registration
    # makes the personal household, while households read accounts' users: undone when "who
    # is asking" moves to a layer above both.
    ("accounts", "households"),
}


def test_feature_packages_import_each_other_one_way(graph: grimp.ImportGraph) -> None:
    """The job queue among them: features describe their kinds of job to it (``jobs.kinds``)
    and it imports none of the features that queue jobs."""
    two_way = {
        (first, second)
        for first, second in itertools.combinations(_features(graph), 2)
        if _imports(graph, first, second) and _imports(graph, second, first)
    }
    assert two_way == STILL_TWO_WAY


@pytest.mark.parametrize("kit", KITS)
def test_kits_know_nothing_of_features(graph: grimp.ImportGraph, kit: str) -> None:
    """A kit imports other kits and the base modules, never a feature or the modules above
    the kits (``deps``, ``policy``, ``main``): imports point from features down to kits."""
    upward = sorted(
        f"{module} -> {imported}"
        for module in {f"{ROOT}.{kit}", *graph.find_descendants(f"{ROOT}.{kit}")}
        for imported in graph.find_modules_directly_imported_by(module)
        if imported != ROOT and imported.split(".")[1] not in {*KITS, *BASE}
    )
    assert upward == []


def test_kits_import_each_other_one_way(graph: grimp.ImportGraph) -> None:
    """web uses http, http uses db; never back."""
    order = ["db", "http", "web"]
    for lower, higher in itertools.combinations(order, 2):
        assert _imports(graph, lower, higher) == [], f"{lower} imports {higher}"


def test_only_the_database_layer_runs_the_sqlite_reader(graph: grimp.ImportGraph) -> None:
    """Feature code asks ``db.Database`` for rows; how they are read is the layer's business."""
    assert graph.find_modules_that_directly_import(f"{ROOT}.db.sqlite_reader") == {f"{ROOT}.db"}


def test_nothing_but_the_entry_point_imports_the_command(graph: grimp.ImportGraph) -> None:
    """``cli`` mounts the features' commands; what they share is in ``command_line``."""
    assert graph.find_modules_that_directly_import(f"{ROOT}.cli") == {f"{ROOT}.__main__"}
