"""Household tables."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from recipevault.clock import utcnow
from recipevault.db import Base, CreatedAt
from recipevault.db.column_types import string_enum


class MemberRole(StrEnum):
    OWNER = "owner"
    MEMBER = "member"


class Household(CreatedAt, Base):
    __tablename__ = "households"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    # Everyone gets one at sign-up; it is where their private recipes live.
    is_personal: Mapped[bool] = mapped_column(default=False)


class HouseholdMember(Base):
    __tablename__ = "household_members"

    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[MemberRole] = mapped_column(string_enum(MemberRole, "member_role"))
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)


class HouseholdInvite(CreatedAt, Base):
    __tablename__ = "household_invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    uses: Mapped[int] = mapped_column(default=0)
