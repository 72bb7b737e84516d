"""What each kind of job looks like to people: its title, the summary of what it did, what its
items are and where they lead.

The job queue, runner and pages know no feature: a feature that queues jobs describes its
kinds with ``JobKind`` and ``register``s them next to where it names them, and the pages show
every job through its kind's description (a kind nobody described gets a plain one, made
from its name).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True, slots=True)
class Noun:
    """A word for something counted, in the singular and the plural."""

    one: str
    many: str

    def count(self, number: int) -> str:
        return f"{number} {self.one if number == 1 else self.many}"


@dataclass(frozen=True, slots=True)
class Link:
    """A page a job's page links to: where one of its items leads (a recipe it made, say),
    or where to start another job like it."""

    url: str
    title: str


ItemLinks = Callable[[AsyncSession, Sequence[int]], Awaitable[Mapping[int, Link]]]
"""The links of the things a job's items name (``JobItem.recipe_id``), by their ids."""

ITEMS = Noun("item", "items")


def _no_summary(result: Mapping[str, Any]) -> str | None:
    return None


@dataclass(frozen=True, slots=True)
class JobKind:
    """How to show the jobs of one kind."""

    name: str
    title: Callable[[Mapping[str, Any]], str]
    """What a job is about, in a few words, from its payload."""
    summary: Callable[[Mapping[str, Any]], str | None] = _no_summary
    """What a job that is done did, from its result."""
    items: Noun = ITEMS
    """What its items are, counting its progress."""
    imports: bool = False
    """Its items are things brought in: they read "Imported" and "Not imported"."""
    item_heading: str = "Item"
    """What the column of its items' names is headed."""
    download: bool = False
    """A done job's result may name a file its owner downloads while it lasts."""
    links: ItemLinks | None = None
    again: Link | None = None
    """Where to start another job like it."""


_KINDS: dict[str, JobKind] = {}


def register(*kinds: JobKind) -> None:
    """Describe these kinds of job (again, harmlessly, when a module is imported twice)."""
    for kind in kinds:
        _KINDS[kind.name] = kind


def describe(name: str) -> JobKind:
    """The description of the kind ``name``, or a plain one from its name."""
    kind = _KINDS.get(name)
    if kind is not None:
        return kind
    plain_title = name.replace("_", " ").capitalize()
    return JobKind(name=name, title=lambda payload: plain_title)
