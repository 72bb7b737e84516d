"""The one source of "now", always timezone-aware UTC (tests freeze it with time-machine)."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)
