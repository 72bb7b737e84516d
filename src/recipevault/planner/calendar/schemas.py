"""Calendar feed response bodies (creating one takes no body)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from recipevault.http.schemas import OutputModel


class CalendarFeedRead(OutputModel):
    id: int
    household_id: int
    created_at: datetime
    created_by_id: int | None = Field(
        description="Whose view of the recipes the feed shows: it works while they are a member"
    )


class CalendarFeedCreated(CalendarFeedRead):
    url: str = Field(
        description="Shown once: the address to subscribe to in a calendar app. Whoever has it "
        "can read the plan, until the feed is revoked."
    )
