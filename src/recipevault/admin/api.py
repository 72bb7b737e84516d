"""/api/v1/admin: users, site settings and the audit log. Admins only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from recipevault import site_settings
from recipevault.accounts import directory
from recipevault.admin import service
from recipevault.admin.schemas import (
    AdminUserRead,
    AdminUserUpdate,
    AuditEventRead,
    SiteSettingsRead,
    SiteSettingsUpdate,
)
from recipevault.audit import service as audit
from recipevault.deps import AdminUser, ClientDep, SessionDep, SettingsDep
from recipevault.http.pagination import CursorQuery, Page
from recipevault.http.schemas import Id

router = APIRouter(prefix="/api/v1/admin", tags=["admin"], responses={403: {}})

Limit = Annotated[int, Query(ge=1, le=100)]


@router.get("/users", response_model=Page[AdminUserRead])
async def list_users(
    actor: AdminUser,
    session: SessionDep,
    q: Annotated[str | None, Query(max_length=100, description="Part of email or name")] = None,
    limit: Limit = 50,
    cursor: CursorQuery = None,
) -> Page[AdminUserRead]:
    page = await directory.find_accounts(session, q=q, limit=limit, cursor=cursor)
    return Page(items=[AdminUserRead.model_validate(u) for u in page.items], next=page.next)


@router.patch("/users/{user_id:int}", response_model=AdminUserRead, responses={404: {}, 409: {}})
async def update_user(
    user_id: Id, data: AdminUserUpdate, actor: AdminUser, session: SessionDep, client: ClientDep
) -> AdminUserRead:
    """Change a role or (de)activate an account; deactivation signs it out everywhere."""
    user = await service.update_user(
        session,
        actor=actor,
        user_id=user_id,
        role=data.role,
        is_active=data.is_active,
        ip=client.ip,
    )
    return AdminUserRead.model_validate(user)


@router.post("/users/{user_id:int}/unlock", response_model=AdminUserRead, responses={404: {}})
async def unlock_user(
    user_id: Id, actor: AdminUser, session: SessionDep, client: ClientDep
) -> AdminUserRead:
    user = await service.unlock_user(session, actor=actor, user_id=user_id, ip=client.ip)
    return AdminUserRead.model_validate(user)


@router.get("/settings", response_model=SiteSettingsRead)
async def read_settings(
    actor: AdminUser, session: SessionDep, settings: SettingsDep
) -> SiteSettingsRead:
    return SiteSettingsRead(
        registration_open=await site_settings.registration_open(session, settings=settings)
    )


@router.put("/settings", response_model=SiteSettingsRead)
async def update_settings(
    data: SiteSettingsUpdate, actor: AdminUser, session: SessionDep, client: ClientDep
) -> SiteSettingsRead:
    """Open or close registration of new accounts."""
    open_ = await service.set_registration_open(
        session, actor=actor, open_=data.registration_open, ip=client.ip
    )
    return SiteSettingsRead(registration_open=open_)


@router.get("/audit", response_model=Page[AuditEventRead])
async def list_audit_events(
    actor: AdminUser,
    session: SessionDep,
    action: Annotated[str | None, Query(max_length=64)] = None,
    actor_id: Id | None = None,
    limit: Limit = 50,
    cursor: CursorQuery = None,
) -> Page[AuditEventRead]:
    """Newest first."""
    page = await audit.list_events(
        session, limit=limit, cursor=cursor, action=action, actor_id=actor_id
    )
    return Page(items=[AuditEventRead.model_validate(e) for e in page.items], next=page.next)
