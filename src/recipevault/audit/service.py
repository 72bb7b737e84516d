"""Writing and reading the audit log."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.audit.models import AuditEvent
from recipevault.http.pagination import Page, decode_id_cursor, encode_cursor


def record(
    session: AsyncSession,
    *,
    action: str,
    actor_id: int | None,
    ip: str | None,
    target_type: str | None = None,
    target_id: int | str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    event = AuditEvent(
        action=action,
        actor_id=actor_id,
        ip=ip,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        details=details,
    )
    session.add(event)
    return event


async def list_events(
    session: AsyncSession,
    *,
    limit: int,
    cursor: str | None = None,
    action: str | None = None,
    actor_id: int | None = None,
) -> Page[AuditEvent]:
    """Newest first; the cursor names the last event of the previous page."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit + 1)
    if cursor:
        query = query.where(AuditEvent.id < decode_id_cursor(cursor))
    if action:
        query = query.where(AuditEvent.action == action)
    if actor_id is not None:
        query = query.where(AuditEvent.actor_id == actor_id)
    events = list((await session.scalars(query)).all())
    more = len(events) > limit
    events = events[:limit]
    return Page(items=events, next=encode_cursor({"id": events[-1].id}) if more else None)


async def recorded_actions(session: AsyncSession) -> list[str]:
    """Every kind of event the log holds, for a filter to choose from (the action column is
    indexed, so this reads the index, not the log)."""
    result = await session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action))
    return list(result.all())
