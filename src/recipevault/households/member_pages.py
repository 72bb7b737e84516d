"""Removing a member and leaving a household. Each has a page that asks first (a link, then a
form), so the confirmation works without JavaScript; a refusal from the service (the owner
cannot leave before handing over) is shown on that page.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from recipevault.db import undo_on_error
from recipevault.deps import ClientDep, MarkPage, PageUser, SessionDep
from recipevault.errors import Conflict
from recipevault.households import service
from recipevault.households.pages import LIST_PAGE, household_read, page_url
from recipevault.http.schemas import Id
from recipevault.web.forms import FORM_ERROR, blank_form
from recipevault.web.rendering import redirect, render

router = APIRouter(prefix="/households", include_in_schema=False, dependencies=[MarkPage])


def _confirm_page(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    form = blank_form() if error is None else blank_form().with_error(FORM_ERROR, error)
    return render(request, template, {**context, "form": form}, status_code=status_code)


@router.get("/{household_id:int}/members/{user_id:int}/remove")
async def remove_member_form(
    request: Request, household_id: Id, user_id: Id, identity: PageUser, session: SessionDep
) -> Response:
    view, member = await service.get_member(
        session, actor=identity.actor, household_id=household_id, user_id=user_id
    )
    context = {"household": household_read(view), "member": member}
    return _confirm_page(request, "households/remove_member.html", context)


@router.post("/{household_id:int}/members/{user_id:int}/remove")
async def remove_member(
    request: Request,
    household_id: Id,
    user_id: Id,
    identity: PageUser,
    session: SessionDep,
    client: ClientDep,
) -> Response:
    view, member = await service.get_member(
        session, actor=identity.actor, household_id=household_id, user_id=user_id
    )
    try:
        async with undo_on_error(session):
            await service.remove_member(
                session,
                actor=identity.actor,
                household_id=household_id,
                user_id=user_id,
                ip=client.ip,
            )
    except Conflict as exc:
        context = {"household": household_read(view), "member": member}
        return _confirm_page(
            request, "households/remove_member.html", context, error=exc.detail, status_code=400
        )
    return redirect(
        request,
        page_url(household_id),
        flash=f"{member.display_name} is no longer a member of {view.household.name}.",
    )


@router.get("/{household_id:int}/leave")
async def leave_form(
    request: Request, household_id: Id, identity: PageUser, session: SessionDep
) -> Response:
    view = await service.membership(session, actor=identity.actor, household_id=household_id)
    return _confirm_page(request, "households/leave.html", {"household": household_read(view)})


@router.post("/{household_id:int}/leave")
async def leave(
    request: Request, household_id: Id, identity: PageUser, session: SessionDep, client: ClientDep
) -> Response:
    view = await service.membership(session, actor=identity.actor, household_id=household_id)
    try:
        async with undo_on_error(session):
            await service.leave_household(
                session, actor=identity.actor, household_id=household_id, ip=client.ip
            )
    except Conflict as exc:
        return _confirm_page(
            request,
            "households/leave.html",
            {"household": household_read(view)},
            error=exc.detail,
            status_code=400,
        )
    return redirect(request, LIST_PAGE, flash=f"You left {view.household.name}.")
