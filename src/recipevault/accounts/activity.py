"""When a credential was last used: an API token's "last used" (shown to its owner) and a
browser session's "last seen" (which its idle expiry counts from).

Both are coarse marks, written at most once per ``TOUCH_INTERVAL`` per credential, so a busy
client does not turn its reads into writes. They go through ``db.write_soon``: with a
request that writes, in its own unit of work; with any other, after the response, gathered with
the other marks due. No request ever waits on a transaction of its own for them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Update, bindparam, or_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from recipevault.accounts.models import ApiToken, BrowserSession
from recipevault.clock import utcnow
from recipevault.db import Database, write_soon

TOUCH_INTERVAL = timedelta(minutes=5)


def _mark(column: InstrumentedAttribute[Any], record_id: InstrumentedAttribute[int]) -> Update:
    # Never backwards: a mark written late must not undo a newer one.
    at = bindparam("at", type_=column.type)
    return (
        update(column.class_)
        .where(record_id == bindparam("record_id"), or_(column.is_(None), column < at))
        .values({column: at})
    )


API_TOKEN_USED = _mark(ApiToken.last_used_at, ApiToken.id)
SESSION_SEEN = _mark(BrowserSession.last_seen_at, BrowserSession.id)


def due(last: datetime | None) -> bool:
    return last is None or utcnow() - last >= TOUCH_INTERVAL


async def record(source: AsyncSession | Database, mark: Update, record_id: int) -> None:
    """Mark ``record_id`` as used now (``API_TOKEN_USED`` or ``SESSION_SEEN``): with the
    session's unit of work if it writes, else soon after (``db.write_soon``)."""
    await write_soon(source, mark, record_id, {"record_id": record_id, "at": utcnow()})
