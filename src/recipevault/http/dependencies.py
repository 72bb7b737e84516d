"""What every route may ask FastAPI for, whatever the feature: the settings, the database, and
the request's session (committed when the route returns)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.config import Settings
from recipevault.db import Database, request_session


async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def database_of(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


SettingsDep = Annotated[Settings, Depends(_settings)]
DatabaseDep = Annotated[Database, Depends(database_of)]
# "function" scope runs the commit when the route returns, before the response goes out,
# so a failed commit becomes an error response instead of a 200 for lost work.
SessionDep = Annotated[AsyncSession, Depends(request_session, scope="function")]
