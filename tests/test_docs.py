"""The README and the pages in docs/ link to what exists, and every page in docs/ is listed in
its index, so moving or renaming a page cannot leave a reader at a dead link."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
# [text](target) and ![alt](target), without the images' and links' titles.
_LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def _local_targets(page: Path) -> list[str]:
    return [
        target
        for target in _LINK.findall(page.read_text())
        if not re.match(r"[a-z][a-z0-9+.-]*:", target) and not target.startswith("#")
    ]


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_local_links_lead_to_files_that_exist(page: Path) -> None:
    missing = [
        target
        for target in _local_targets(page)
        if not (page.parent / target.split("#", 1)[0]).exists()
    ]
    assert missing == []


def test_the_docs_index_lists_every_page() -> None:
    listed = {Path(target).name for target in _local_targets(DOCS / "README.md")}
    pages = {page.name for page in DOCS.glob("*.md")} - {"README.md"}
    assert pages - listed == set()


def test_the_readme_points_developers_to_the_docs() -> None:
    assert "docs/README.md" in _local_targets(ROOT / "README.md")
