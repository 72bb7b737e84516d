"""Shared dependency aliases; routes declare these instead of ``= Depends(...)`` defaults."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.config import Settings
from recipevault.db import Database, request_session


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


SettingsDep = Annotated[Settings, Depends(_settings)]
DatabaseDep = Annotated[Database, Depends(_database)]
# "function" scope runs the commit when the route returns, before the response goes out,
# so a failed commit becomes an error response instead of a 200 for lost work.
SessionDep = Annotated[AsyncSession, Depends(request_session, scope="function")]
