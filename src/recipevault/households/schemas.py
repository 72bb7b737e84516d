"""Household request and response bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from pydantic import Field

from recipevault.households.models import MemberRole
from recipevault.http.schemas import Flag, Id, InputModel, OutputModel

HouseholdName = Field(min_length=1, max_length=100)
JOIN_PATH = "/households/join"


class HouseholdCreate(InputModel):
    name: str = HouseholdName


class HouseholdUpdate(InputModel):
    name: str = HouseholdName


class HouseholdRead(OutputModel):
    id: int
    name: str
    is_personal: bool
    role: MemberRole | None = Field(
        description="Your role here; null for admins who are not members"
    )
    member_count: int
    created_at: datetime


class MemberRead(OutputModel):
    user_id: int
    display_name: str
    role: MemberRole
    joined_at: datetime


class HouseholdDetail(HouseholdRead):
    members: list[MemberRead]


class InviteCreate(InputModel):
    expires_in_days: int | None = Field(default=None, ge=1, le=90)


class InviteForm(InviteCreate):
    """The household page's invite form: it may also retire the links still out there."""

    revoke_active: Flag = False


class InviteRead(OutputModel):
    id: int
    household_id: int
    created_at: datetime
    expires_at: datetime
    uses: int


class InviteCreated(InviteRead):
    code: str = Field(description="Shown once: share it with the people you invite.")
    url: str

    @classmethod
    def issued(cls, invite: Any, *, code: str, site_url: str) -> InviteCreated:
        """A new invite with its code and the link to share (on the API and the page)."""
        return cls(
            **InviteRead.model_validate(invite).model_dump(),
            code=code,
            url=f"{site_url}{JOIN_PATH}?{urlencode({'code': code})}",
        )


class JoinRequest(InputModel):
    code: str = Field(min_length=4, max_length=40)


class TransferRequest(InputModel):
    user_id: Id
