"""Site-wide settings an admin changes at run time, kept in the database; each one, once
stored, wins over the environment's value (``config.Settings``). Any feature reads them;
the admin pages change them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from recipevault.config import Settings
from recipevault.db import Base

REGISTRATION_OPEN = "registration_open"


class SiteSetting(Base):
    __tablename__ = "site_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)


async def stored(session: AsyncSession, key: str) -> Any:
    """The value stored for ``key``, or None when an admin never set it."""
    row = await session.get(SiteSetting, key)
    return None if row is None else row.value


async def store(session: AsyncSession, key: str, value: Any) -> None:
    await session.merge(SiteSetting(key=key, value=value))


async def registration_open(session: AsyncSession, *, settings: Settings) -> bool:
    """Whether anyone may register: the admins' choice, else ``RECIPEVAULT_REGISTRATION_OPEN``."""
    value = await stored(session, REGISTRATION_OPEN)
    return settings.registration_open if value is None else bool(value)
