"""Browser pages for site admins: an overview with the registration switch, the user
directory (search, roles, deactivation, unlocking) and the audit log.

Every route depends on ``PageAdmin``: anyone else gets the friendly 403 page (and visitors the
sign-in page). The rules themselves (such as keeping one active admin) live in ``service.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.accounts import directory
from recipevault.accounts import service as accounts
from recipevault.accounts.auth import Identity
from recipevault.accounts.models import Role
from recipevault.admin import service
from recipevault.admin.schemas import (
    AdminUserRead,
    AuditEventRead,
    SiteSettingsUpdate,
    UserActiveForm,
    UserRoleForm,
)
from recipevault.audit import service as audit
from recipevault.clock import utcnow
from recipevault.db import undo_on_error
from recipevault.deps import ClientDep, MarkPage, PageAdmin, SessionDep, SettingsDep
from recipevault.errors import Conflict
from recipevault.http.pagination import CursorQuery
from recipevault.http.schemas import Id
from recipevault.web.forms import Form, read_form
from recipevault.web.rendering import redirect, render

router = APIRouter(prefix="/admin", include_in_schema=False, dependencies=[MarkPage])

USERS_PAGE = "/admin/users"
PAGE_SIZE = 50
SearchParam = Annotated[str | None, Query(max_length=100)]
ActionParam = Annotated[str | None, Query(max_length=64)]
ROLES = [(Role.MEMBER.value, "Member"), (Role.ADMIN.value, "Admin")]


@router.get("")
async def overview(
    request: Request, identity: PageAdmin, session: SessionDep, settings: SettingsDep
) -> Response:
    site = await service.overview(session, settings=settings)
    return render(request, "admin/overview.html", {"site": site})


@router.post("/registration")
async def set_registration(
    request: Request, identity: PageAdmin, session: SessionDep, client: ClientDep
) -> Response:
    """The switch is a button that sends the new state, so a form is never refused: an
    absent value reads as "closed", the safer of the two."""
    form = await read_form(request, SiteSettingsUpdate)
    wanted = form.data.registration_open if form.data is not None else False
    open_ = await service.set_registration_open(
        session, actor=identity.actor, open_=wanted, ip=client.ip
    )
    message = "Anyone can now register." if open_ else "Registration is closed."
    return redirect(request, "/admin", flash=message)


# --- Users ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UserRow:
    user: AdminUserRead
    locked: bool
    # A refused change to this user, shown in its row, and the field it is about.
    error: str | None = None
    error_field: str | None = None
    role: str | None = None


def _users_url(q: str | None, cursor: str | None) -> str:
    params = {key: value for key, value in (("q", q), ("cursor", cursor)) if value}
    return USERS_PAGE + (f"?{urlencode(params)}" if params else "")


async def _users_page(
    request: Request,
    session: AsyncSession,
    *,
    q: str | None,
    cursor: str | None,
    refused: tuple[int, Form[Any], str] | None = None,
    status_code: int = 200,
) -> Response:
    page = await directory.find_accounts(session, q=q, limit=PAGE_SIZE, cursor=cursor)
    now = utcnow()
    rows = []
    for user in page.items:
        row = UserRow(user=AdminUserRead.model_validate(user), locked=user.is_locked(now))
        if refused is not None and refused[0] == user.id:
            form, field = refused[1], refused[2]
            message = form.error(field) or next(iter(form.errors.values()), None)
            row = UserRow(
                user=row.user,
                locked=row.locked,
                error=message,
                error_field=field,
                role=form.value("role") or None,
            )
        rows.append(row)
    context = {
        "rows": rows,
        "q": q or "",
        "cursor": cursor or "",
        "more_url": _users_url(q, page.next) if page.next else None,
        "roles": ROLES,
    }
    return render(request, "admin/users.html", context, status_code=status_code)


@router.get("/users")
async def users(
    request: Request,
    identity: PageAdmin,
    session: SessionDep,
    q: SearchParam = None,
    cursor: CursorQuery = None,
) -> Response:
    return await _users_page(request, session, q=q.strip() if q else None, cursor=cursor)


async def _listing(request: Request) -> tuple[str | None, str | None]:
    """The search and page the admin was looking at, sent along with each row's form, so the
    answer shows the same part of the directory."""
    submitted = await request.form()
    q, cursor = submitted.get("q"), submitted.get("cursor")
    return (
        q[:100] if isinstance(q, str) and q else None,
        cursor[:512] if isinstance(cursor, str) and cursor else None,
    )


async def _change_user(
    request: Request,
    session: AsyncSession,
    *,
    identity: Identity,
    user_id: int,
    schema: type[UserRoleForm | UserActiveForm],
    field: str,
    ip: str | None,
) -> Response:
    """One change from a row of the users page: the role, or whether the account is active."""
    form: Form[Any] = await read_form(request, schema)
    update = form.data.to_update() if form.data is not None else None
    q, cursor = await _listing(request)
    if update is None:
        refused = (user_id, form, field)
        return await _users_page(
            request, session, q=q, cursor=cursor, refused=refused, status_code=400
        )
    try:
        async with undo_on_error(session):
            user = await service.update_user(
                session,
                actor=identity.actor,
                user_id=user_id,
                role=update.role,
                is_active=update.is_active,
                ip=ip,
            )
    except Conflict as exc:
        refused = (user_id, form.with_error(field, exc.detail), field)
        return await _users_page(
            request, session, q=q, cursor=cursor, refused=refused, status_code=400
        )
    if update.role is not None:
        message = (
            f"{user.display_name} is now {'an admin' if user.role == Role.ADMIN else 'a member'}."
        )
    elif user.is_active:
        message = f"{user.display_name} can sign in again."
    else:
        message = f"{user.display_name} is deactivated and signed out everywhere."
    return redirect(request, _users_url(q, cursor), flash=message)


@router.post("/users/{user_id:int}/role")
async def change_role(
    request: Request, user_id: Id, identity: PageAdmin, session: SessionDep, client: ClientDep
) -> Response:
    return await _change_user(
        request,
        session,
        identity=identity,
        user_id=user_id,
        schema=UserRoleForm,
        field="role",
        ip=client.ip,
    )


@router.post("/users/{user_id:int}/active")
async def change_active(
    request: Request, user_id: Id, identity: PageAdmin, session: SessionDep, client: ClientDep
) -> Response:
    return await _change_user(
        request,
        session,
        identity=identity,
        user_id=user_id,
        schema=UserActiveForm,
        field="is_active",
        ip=client.ip,
    )


@router.post("/users/{user_id:int}/unlock")
async def unlock(
    request: Request, user_id: Id, identity: PageAdmin, session: SessionDep, client: ClientDep
) -> Response:
    q, cursor = await _listing(request)
    user = await service.unlock_user(session, actor=identity.actor, user_id=user_id, ip=client.ip)
    return redirect(
        request, _users_url(q, cursor), flash=f"{user.display_name} can try to sign in again."
    )


# --- Audit log --------------------------------------------------------------------------------


def _audit_url(action: str | None, actor: int | None, cursor: str | None) -> str:
    params = {
        key: str(value)
        for key, value in (("action", action), ("actor", actor), ("cursor", cursor))
        if value
    }
    return "/admin/audit" + (f"?{urlencode(params)}" if params else "")


@router.get("/audit")
async def audit_log(
    request: Request,
    identity: PageAdmin,
    session: SessionDep,
    action: ActionParam = None,
    actor: Id | None = None,
    cursor: CursorQuery = None,
) -> Response:
    """Newest first, optionally one kind of event or one person's doing."""
    action = action or None
    page = await audit.list_events(
        session, limit=PAGE_SIZE, cursor=cursor, action=action, actor_id=actor
    )
    events = [AuditEventRead.model_validate(e) for e in page.items]
    # People are shown by name; ids of accounts since deleted stay as they are.
    people = {e.actor_id for e in events if e.actor_id is not None} | {
        int(e.target_id)
        for e in events
        if e.target_type == "user" and e.target_id is not None and e.target_id.isdigit()
    }
    if actor is not None:
        people.add(actor)
    context = {
        "events": events,
        "names": await accounts.display_names(session, people),
        "actions": await audit.recorded_actions(session),
        "action": action or "",
        "actor": actor,
        "filtered_url": _audit_url(action, None, None),
        "more_url": _audit_url(action, actor, page.next) if page.next else None,
    }
    return render(request, "admin/audit.html", context)
