"""What a reader makes of each statement it runs (compiled for its driver), made once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from sqlalchemy import Executable

Made = TypeVar("Made")
_KEPT = 256


class StatementCache(Generic[Made]):
    """``make(statement)`` for each statement, kept by the statement itself: the statements
    read this way are built once, at import, and kept (a handful per kind of read); the bound
    only guards against a caller building one per request."""

    __slots__ = ("_made", "_make")

    def __init__(self, make: Callable[[Executable], Made]) -> None:
        self._make = make
        self._made: dict[Executable, Made] = {}

    def get(self, statement: Executable) -> Made:
        try:
            return self._made[statement]
        except KeyError:
            pass
        if len(self._made) >= _KEPT:
            self._made.clear()
        made = self._made[statement] = self._make(statement)
        return made
