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


def _feature_imports(graph: grimp.ImportGraph) -> dict[str, set[str]]:
    """Which feature packages each feature package imports directly."""
    features = _features(graph)
    return {
        importer: {
            imported
            for imported in features
            if imported != importer and _imports(graph, importer, imported)
        }
        for importer in features
    }


def _way_back(imports: dict[str, set[str]], start: str, goal: str) -> list[str] | None:
    """The shortest chain of imports from ``start`` to ``goal`` (breadth first), if any."""
    paths = {start: [start]}
    queue = [start]
    for feature in queue:
        if feature == goal:
            return paths[feature]
        for imported in sorted(imports[feature]):
            if imported not in paths:
                paths[imported] = [*paths[feature], imported]
                queue.append(imported)
    return None


def _cycles(imports: dict[str, set[str]]) -> list[str]:
    """Each import of one feature by another that the imported one leads back from."""
    found = []
    for importer, imported in sorted(
        (importer, imported) for importer, targets in imports.items() for imported in targets
    ):
        back = _way_back(imports, imported, importer)
        if back is not None:
            found.append(" -> ".join([importer, *back]))
    return found


def test_feature_packages_import_each_other_one_way(graph: grimp.ImportGraph) -> None:
    """Features call each other's services in one direction only, with no cycle of any length
    among them: accounts at the bottom (every feature asks who is signed in), households
    above it, registration above both. A feature below that needs something from one above
    lets it name it (the job queue's ``jobs.kinds``, the memberships an actor carries in
    ``accounts.auth``) rather than import it."""
    cycles = _cycles(_feature_imports(graph))
    chains = {
        cycle: [
            _imports(graph, importer, imported)
            for importer, imported in itertools.pairwise(cycle.split(" -> "))
        ]
        for cycle in cycles
    }
    assert chains == {}


def test_a_cycle_between_features_is_found() -> None:
    """The check itself: a cycle through a third feature counts as much as two features that
    import each other."""
    imports = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert _cycles(imports) == ["a -> b -> c -> a", "b -> c -> a -> b", "c -> a -> b -> c"]
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": {"a", "b"}}) == ["a -> b -> a", "b -> a -> b"]
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


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


@pytest.mark.parametrize("reader", ["sqlite_reader", "postgres_reader"])
def test_only_the_database_layer_runs_the_readers(graph: grimp.ImportGraph, reader: str) -> None:
    """Feature code asks ``db.Database`` for rows; how they are read is the layer's business."""
    assert graph.find_modules_that_directly_import(f"{ROOT}.db.{reader}") == {f"{ROOT}.db"}


def test_nothing_but_the_entry_point_imports_the_command(graph: grimp.ImportGraph) -> None:
    """``cli`` mounts the features' commands; what they share is in ``command_line``."""
    assert graph.find_modules_that_directly_import(f"{ROOT}.cli") == {f"{ROOT}.__main__"}
