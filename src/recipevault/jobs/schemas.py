"""Job responses: status, progress and what happened to each item."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from recipevault.http.schemas import OutputModel
from recipevault.jobs.models import ItemStatus, JobStatus


class JobItemRead(OutputModel):
    position: int
    label: str = Field(description="What the item was: a URL, a file entry, an image")
    status: ItemStatus
    message: str | None
    recipe_id: int | None


class JobRead(OutputModel):
    id: int
    kind: str
    owner_id: int | None
    status: JobStatus
    progress_done: int
    progress_total: int | None
    attempts: int
    error: str | None = Field(description="Why the job failed, in plain words")
    result: dict[str, Any] | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    items: list[JobItemRead] = Field(
        default_factory=list, description="The first items handled; page with /items"
    )
