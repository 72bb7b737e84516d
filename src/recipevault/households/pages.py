"""Browser pages for households: the list, one household's members and invite links, and
joining with an invite link. Removing a member and leaving are in ``member_pages.py``.

Every rule (who may rename, invite, remove, transfer, leave) lives in ``service.py``; these
routes read a form with the API's schema, call the service, and either render the page again
with the refusal beside the form (400) or redirect with a flash message (303).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.accounts.auth import Identity
from recipevault.config import Settings
from recipevault.db import undo_on_error
from recipevault.deps import ClientDep, MarkPage, PageUser, SessionDep, SettingsDep, SiteUrlDep
from recipevault.errors import Conflict
from recipevault.households import service
from recipevault.households.models import MemberRole
from recipevault.households.schemas import (
    HouseholdCreate,
    HouseholdRead,
    HouseholdUpdate,
    InviteCreated,
    InviteForm,
    InviteRead,
    JoinRequest,
    MemberRead,
    TransferRequest,
)
from recipevault.http.schemas import Id
from recipevault.web.forms import Form, blank_form, read_form
from recipevault.web.rendering import redirect, render

router = APIRouter(prefix="/households", include_in_schema=False, dependencies=[MarkPage])

LIST_PAGE = "/households"
CodeParam = Annotated[str | None, Query(max_length=100)]
# How long a new invite link works, in days; the site's default is added when it is not here.
INVITE_LIFETIMES = (1, 7, 30, 90)


def household_read(view: service.HouseholdView) -> HouseholdRead:
    h = view.household
    return HouseholdRead(
        id=h.id,
        name=h.name,
        is_personal=h.is_personal,
        role=view.role,
        member_count=view.member_count,
        created_at=h.created_at,
    )


def page_url(household_id: int) -> str:
    return f"{LIST_PAGE}/{household_id}"


def _lifetimes(settings: Settings) -> list[tuple[int, str]]:
    days = sorted({*INVITE_LIFETIMES, settings.household_invite_days})
    return [(d, "1 day" if d == 1 else f"{d} days") for d in days]


# --- Your households --------------------------------------------------------------------------


async def _list_page(
    request: Request,
    session: AsyncSession,
    identity: Identity,
    *,
    form: Form[Any] | None = None,
    status_code: int = 200,
) -> Response:
    views = await service.list_households(session, actor=identity.actor)
    context = {"households": [household_read(v) for v in views], "form": form or blank_form()}
    return render(request, "households/list.html", context, status_code=status_code)


@router.get("")
async def households(request: Request, identity: PageUser, session: SessionDep) -> Response:
    return await _list_page(request, session, identity)


@router.post("")
async def create_household(
    request: Request, identity: PageUser, session: SessionDep, client: ClientDep
) -> Response:
    form = await read_form(request, HouseholdCreate)
    if form.data is None:
        return await _list_page(request, session, identity, form=form, status_code=400)
    view = await service.create_household(
        session, actor=identity.actor, name=form.data.name, ip=client.ip
    )
    return redirect(
        request,
        page_url(view.household.id),
        flash=f"{view.household.name} is ready. Invite the people you cook with.",
    )


# --- Joining with an invite link --------------------------------------------------------------
# Declared before "/{household_id}", which would otherwise take "join" for an id.


def _join_page(
    request: Request,
    form: Form[Any],
    *,
    household: HouseholdRead | None = None,
    status_code: int = 200,
) -> Response:
    context = {"form": form, "household": household}
    return render(request, "households/join.html", context, status_code=status_code)


@router.get("/join")
async def join_form(
    request: Request, identity: PageUser, session: SessionDep, code: CodeParam = None
) -> Response:
    """Show where an invite link leads before joining: a GET never joins (link previews and
    mail scanners open links too)."""
    form = blank_form({"code": code or ""})
    if not code:
        return _join_page(request, form)
    try:
        view = await service.invited_household(session, actor=identity.actor, code=code)
    except service.InviteInvalid as exc:
        return _join_page(request, form.with_error("code", exc.detail), status_code=404)
    return _join_page(request, form, household=household_read(view))


@router.post("/join")
async def join(
    request: Request, identity: PageUser, session: SessionDep, client: ClientDep
) -> Response:
    form = await read_form(request, JoinRequest)
    if form.data is None:
        return _join_page(request, form, status_code=400)
    try:
        async with undo_on_error(session):
            view = await service.join_household(
                session, actor=identity.actor, code=form.data.code, ip=client.ip
            )
    except service.InviteInvalid as exc:
        return _join_page(request, form.with_error("code", exc.detail), status_code=400)
    except Conflict as exc:
        # Already a member: take them there rather than to a form with nothing left to do.
        joined = await service.invited_household(session, actor=identity.actor, code=form.data.code)
        return redirect(request, page_url(joined.household.id), flash=exc.detail, category="info")
    return redirect(
        request, page_url(view.household.id), flash=f"Welcome to {view.household.name}."
    )


# --- One household ----------------------------------------------------------------------------


async def _detail_page(
    request: Request,
    session: AsyncSession,
    identity: Identity,
    settings: Settings,
    household_id: int,
    *,
    rename: Form[Any] | None = None,
    invite: Form[Any] | None = None,
    transfer: Form[Any] | None = None,
    new_invite: InviteCreated | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    view, members = await service.get_household(
        session, actor=identity.actor, household_id=household_id
    )
    household = household_read(view)
    # The service decides; this only chooses which forms to offer.
    manages = view.role == MemberRole.OWNER or identity.is_admin
    invites = (
        await service.list_invites(session, actor=identity.actor, household_id=household_id)
        if manages
        else []
    )
    context = {
        "household": household,
        "members": [MemberRead.model_validate(m, from_attributes=True) for m in members],
        "manages": manages,
        "invites": [InviteRead.model_validate(i) for i in invites],
        "new_invite": new_invite,
        "rename_form": rename or blank_form({"name": household.name}),
        "invite_form": invite
        or blank_form(
            {"expires_in_days": str(settings.household_invite_days), "revoke_active": "true"}
        ),
        "transfer_form": transfer or blank_form(),
        "lifetimes": _lifetimes(settings),
    }
    return render(
        request, "households/detail.html", context, status_code=status_code, headers=headers
    )


@router.get("/{household_id:int}")
async def household(
    request: Request,
    household_id: Id,
    identity: PageUser,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    return await _detail_page(request, session, identity, settings, household_id)


@router.post("/{household_id:int}/rename")
async def rename(
    request: Request,
    household_id: Id,
    identity: PageUser,
    session: SessionDep,
    settings: SettingsDep,
    client: ClientDep,
) -> Response:
    form = await read_form(request, HouseholdUpdate)
    if form.data is None:
        return await _detail_page(
            request, session, identity, settings, household_id, rename=form, status_code=400
        )
    view = await service.rename_household(
        session, actor=identity.actor, household_id=household_id, name=form.data.name, ip=client.ip
    )
    return redirect(request, page_url(household_id), flash=f"Renamed to {view.household.name}.")


@router.post("/{household_id:int}/invites")
async def create_invite(
    request: Request,
    household_id: Id,
    identity: PageUser,
    session: SessionDep,
    settings: SettingsDep,
    site_url: SiteUrlDep,
    client: ClientDep,
) -> Response:
    """Make an invite link and show it on the page itself, this once: only its hash is kept,
    so it cannot ride along a redirect."""
    form = await read_form(request, InviteForm)
    if form.data is None:
        return await _detail_page(
            request, session, identity, settings, household_id, invite=form, status_code=400
        )
    invite, code = await service.create_invite(
        session,
        actor=identity.actor,
        household_id=household_id,
        lifetime=timedelta(days=form.data.expires_in_days or settings.household_invite_days),
        ip=client.ip,
        revoke_active=form.data.revoke_active,
    )
    return await _detail_page(
        request,
        session,
        identity,
        settings,
        household_id,
        new_invite=InviteCreated.issued(invite, code=code, site_url=site_url),
        status_code=201,
        # Neither the browser nor anything in between may keep a copy of the link.
        headers={"Cache-Control": "no-store"},
    )


@router.post("/{household_id:int}/invites/{invite_id:int}/revoke")
async def revoke_invite(
    request: Request,
    household_id: Id,
    invite_id: Id,
    identity: PageUser,
    session: SessionDep,
    client: ClientDep,
) -> Response:
    await service.revoke_invite(
        session, actor=identity.actor, household_id=household_id, invite_id=invite_id, ip=client.ip
    )
    return redirect(
        request, page_url(household_id) + "#invites", flash="The invite link no longer works."
    )


@router.post("/{household_id:int}/transfer")
async def transfer(
    request: Request,
    household_id: Id,
    identity: PageUser,
    session: SessionDep,
    settings: SettingsDep,
    client: ClientDep,
) -> Response:
    form = await read_form(request, TransferRequest)
    if form.data is None:
        if not form.value("user_id"):
            # The list's first entry, "Choose a member", sends nothing: not "a whole number".
            form = form.with_error("user_id", "Choose the new owner.")
        return await _detail_page(
            request, session, identity, settings, household_id, transfer=form, status_code=400
        )
    _, member = await service.get_member(
        session, actor=identity.actor, household_id=household_id, user_id=form.data.user_id
    )
    await service.transfer_ownership(
        session,
        actor=identity.actor,
        household_id=household_id,
        user_id=member.user_id,
        ip=client.ip,
    )
    return redirect(
        request, page_url(household_id), flash=f"{member.display_name} is now the owner."
    )
