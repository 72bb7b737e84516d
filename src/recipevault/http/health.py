"""Liveness and readiness probes for orchestrators and load balancers."""

from __future__ import annotations

import asyncio

import structlog
from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import text

from recipevault.errors import ServiceUnavailable
from recipevault.http.dependencies import DatabaseDep

READINESS_TIMEOUT_SECONDS = 2.0

router = APIRouter(prefix="/health", tags=["health"])
log = structlog.get_logger(__name__)


class HealthRead(BaseModel):
    status: str
    checks: dict[str, str] = {}


@router.get("/live", response_model=HealthRead)
async def live() -> HealthRead:
    """The process is up and serving requests."""
    return HealthRead(status="ok")


@router.get(
    "/ready",
    response_model=HealthRead,
    responses={503: {"description": "A dependency is unreachable"}},
)
async def ready(database: DatabaseDep) -> HealthRead:
    """The process can do useful work: its database answers."""
    try:
        async with asyncio.timeout(READINESS_TIMEOUT_SECONDS), database.session(write=False) as s:
            await s.execute(text("SELECT 1"))
    except Exception as exc:
        log.warning("readiness check failed", check="database", error=type(exc).__name__)
        raise ServiceUnavailable("The database is not reachable.") from exc
    return HealthRead(status="ok", checks={"database": "ok"})
