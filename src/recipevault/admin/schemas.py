"""Admin request and response bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from recipevault.accounts.models import Role
from recipevault.accounts.schemas import UserRead
from recipevault.http.schemas import Flag, InputModel, OutputModel


class AdminUserRead(UserRead):
    locked_until: datetime | None
    failed_logins: int
    is_demo: bool = Field(description="The demo kitchen's account: its password is public")


class AdminUserUpdate(InputModel):
    role: Role | None = None
    is_active: Flag | None = None


class UserRoleForm(InputModel):
    """The users page's role form. A form of its own: with ``AdminUserUpdate``, the absent
    ``is_active`` checkbox would read as "deactivate"."""

    role: Role

    def to_update(self) -> AdminUserUpdate:
        return AdminUserUpdate(role=self.role)


class UserActiveForm(InputModel):
    """The users page's deactivate and reactivate buttons."""

    is_active: Flag

    def to_update(self) -> AdminUserUpdate:
        return AdminUserUpdate(is_active=self.is_active)


class SiteSettingsRead(OutputModel):
    registration_open: bool


class SiteSettingsUpdate(InputModel):
    registration_open: Flag


class AuditEventRead(OutputModel):
    id: int
    created_at: datetime
    actor_id: int | None
    action: str
    target_type: str | None
    target_id: str | None
    ip: str | None
    details: dict[str, Any] | None
