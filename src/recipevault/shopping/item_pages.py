"""Browser pages of one item of a shopping list (its edit form, removing it) and of a list's
older checked items. See ``pages`` for how the shopping pages work."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.accounts.auth import Identity
from recipevault.deps import MarkPage, PageUser, SessionDep
from recipevault.http.pagination import CursorQuery
from recipevault.http.schemas import Id
from recipevault.shopping import lines, pages, service
from recipevault.shopping import page_views as views
from recipevault.shopping.api import CHECKED_SHOWN
from recipevault.shopping.page_reads import read_item
from recipevault.web.forms import Form, blank_form, read_form
from recipevault.web.rendering import redirect, render

router = APIRouter(prefix=views.PAGE, include_in_schema=False, dependencies=[MarkPage])

LIST = pages.LIST
ITEM = pages.ITEM


async def item_page(
    request: Request,
    session: AsyncSession,
    identity: Identity,
    *,
    list_id: int,
    item_id: int,
    form: Form[Any] | None = None,
    status_code: int = 200,
) -> Response:
    found = await read_item(
        session,
        actor=identity.actor,
        list_id=list_id,
        item_id=item_id,
        system=pages.reader_units(identity),
    )
    item = found.line.item
    defaults = {"text": item.text, "note": item.note or "", "aisle": item.aisle or ""}
    context = {
        "shopping_list": found.shopping_list,
        "line": found.line,
        "form": form or blank_form(defaults),
        "op": views.new_op_prefix(),
    }
    return render(request, "shopping/item.html", context, status_code=status_code)


@router.get(ITEM)
async def edit_item(
    request: Request, list_id: Id, item_id: Id, identity: PageUser, session: SessionDep
) -> Response:
    return await item_page(request, session, identity, list_id=list_id, item_id=item_id)


@router.post(ITEM)
async def save_item(
    request: Request, list_id: Id, item_id: Id, identity: PageUser, session: SessionDep
) -> Response:
    """Save an item's text (read again only when it changed: what recipes brought stays),
    note and aisle."""
    units = pages.reader_units(identity)
    current = await read_item(
        session, actor=identity.actor, list_id=list_id, item_id=item_id, system=units
    )
    form = await read_form(request, views.ItemForm)
    if form.data is None:
        return await item_page(
            request,
            session,
            identity,
            list_id=list_id,
            item_id=item_id,
            form=form,
            status_code=422,
        )
    # What is sent as it was is left alone: the text would be read again, the aisle kept again.
    item = current.line.item
    wanted = {"text": form.data.text, "note": form.data.note, "aisle": form.data.aisle}
    was = {"text": item.text, "note": item.note, "aisle": item.aisle}
    changes = {name: value for name, value in wanted.items() if value != was[name]}
    done = await service.change_item(
        session,
        actor=identity.actor,
        list_id=list_id,
        item_id=item_id,
        changes=changes,
        op_id=form.data.op_id,
    )
    text = await pages.line_text(session, done, units)
    return redirect(request, views.list_url(list_id), flash=f"Saved {text}.")


@router.post(ITEM + "/delete")
async def delete_item(
    request: Request, list_id: Id, item_id: Id, identity: PageUser, session: SessionDep
) -> Response:
    current = await read_item(
        session,
        actor=identity.actor,
        list_id=list_id,
        item_id=item_id,
        system=pages.reader_units(identity),
    )
    form = await read_form(request, views.OpForm)
    if form.data is None:
        raise pages.FormNotMade(pages.RELOAD)
    await service.remove_item(
        session, actor=identity.actor, list_id=list_id, item_id=item_id, op_id=form.data.op_id
    )
    return redirect(request, views.list_url(list_id), flash=f"Removed {current.line.merged.text}.")


@router.get(LIST + "/checked")
async def older_checked(
    request: Request,
    list_id: Id,
    identity: PageUser,
    session: SessionDep,
    cursor: CursorQuery = None,
) -> Response:
    """Checked items a page at a time, the last checked first (the list page shows the
    latest)."""
    found = await service.get_list(session, actor=identity.actor, list_id=list_id)
    before = views.checked_before(cursor) if cursor is not None else None
    page = await lines.checked_lines(
        session, found.id, pages.reader_units(identity), before=before, limit=CHECKED_SHOWN + 1
    )
    shown = page[:CHECKED_SHOWN]
    context = {
        "shopping_list": found,
        "checked": shown,
        "older": views.checked_cursor(shown[-1]) if len(page) > CHECKED_SHOWN else None,
        "op": views.new_op_prefix(),
        "rows": views.item_rows,
    }
    return render(request, "shopping/checked.html", context)
