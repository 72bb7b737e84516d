"""Writing recipes on the website: the new-recipe and edit forms, and the page that resolves an
edit that crossed someone else's.

Forms validate with the API's schemas (``RecipeCreate`` for a new recipe, ``RecipeUpdate`` for
an edit, which leaves fields the form does not show alone). A refused form comes back with
status 400, the input kept and each message beside its field; a saved one redirects (303) with
a notice. An edit saves with If-Match on the version the form was loaded from, so saving over a
newer version shows both changes instead of silently replacing theirs.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.accounts.auth import Identity
from recipevault.db import undo_on_error
from recipevault.deps import ClientDep, MarkPage, PageUser, SessionDep
from recipevault.errors import ValidationFailed
from recipevault.households import service as households
from recipevault.http.schemas import as_id
from recipevault.recipes import page_reads, service
from recipevault.recipes.edit_form import (
    DIFF_FIELDS,
    IngredientRow,
    RecipeForm,
    StepRow,
    apply_row_action,
    form_from_document,
    merge_forms,
    read_recipe_form,
    validate_recipe_form,
)
from recipevault.recipes.revision_diff import diff_fields, form_lines
from recipevault.recipes.schemas import RecipeCreate, RecipeUpdate
from recipevault.web.rendering import redirect, render

router = APIRouter(include_in_schema=False, dependencies=[MarkPage])

VISIBILITY_CHOICES = (
    ("private", "Only me"),
    ("household", "My household"),
    ("public", "Everyone, visitors included"),
)
RATING_CHOICES = (("", "No rating"), *((str(n), "★" * n + f" ({n} of 5)") for n in range(1, 6)))


async def _form_context(
    session: AsyncSession, identity: Identity, form: RecipeForm, *, action_url: str
) -> dict[str, Any]:
    suggestions = await page_reads.term_suggestions(session, actor=identity.actor)
    member_of = await households.list_households(session, actor=identity.actor)
    household_choices = [
        (str(view.household.id), view.household.name) for view in member_of if view.role is not None
    ]
    chosen = form.values.get("household_id", "")
    # A recipe in a household the editor is not in (an admin's edit) keeps it: no choice shown.
    if chosen and chosen not in {value for value, _ in household_choices}:
        household_choices = []
    return {
        "form": form.rows_for_display(),
        "action_url": action_url,
        "suggestions": suggestions,
        "household_choices": household_choices,
        "visibility_choices": VISIBILITY_CHOICES,
        "rating_choices": RATING_CHOICES,
        "blank": RecipeForm(),
        "blank_ingredient": IngredientRow(),
        "blank_step": StepRow(),
    }


async def _new_page(
    request: Request,
    session: AsyncSession,
    identity: Identity,
    form: RecipeForm,
    *,
    status_code: int = 200,
) -> Response:
    context = await _form_context(session, identity, form, action_url="/recipes/new")
    context |= {"heading": "New recipe", "save_label": "Save recipe", "cancel_url": "/recipes"}
    return render(request, "recipes/form.html", context, status_code=status_code)


async def _edit_page(
    request: Request,
    session: AsyncSession,
    identity: Identity,
    form: RecipeForm,
    *,
    slug: str,
    title: str,
    status_code: int = 200,
    template: str = "recipes/form.html",
    extra: dict[str, Any] | None = None,
) -> Response:
    context = await _form_context(session, identity, form, action_url=f"/recipes/{slug}/edit")
    context |= {
        "heading": "Edit recipe",
        "save_label": "Save changes",
        "cancel_url": f"/recipes/{slug}",
        "slug": slug,
        "recipe_title": title,
        **(extra or {}),
    }
    return render(request, template, context, status_code=status_code)


@router.get("/recipes/new")
async def new_recipe(request: Request, identity: PageUser, session: SessionDep) -> Response:
    form = RecipeForm(values={"visibility": "household"})
    return await _new_page(request, session, identity, form)


@router.post("/recipes/new")
async def create_recipe(
    request: Request, identity: PageUser, session: SessionDep, client: ClientDep
) -> Response:
    form, action = read_recipe_form(await request.form())
    if apply_row_action(form, action):
        return await _new_page(request, session, identity, form)
    data = validate_recipe_form(form, RecipeCreate)
    if data is None:
        return await _new_page(request, session, identity, form, status_code=400)
    try:
        async with undo_on_error(session):
            recipe = await service.create_recipe(
                session, actor=identity.actor, data=data, ip=client.ip
            )
    except ValidationFailed as exc:  # a household the person does not belong to
        form.errors = {"household_id": exc.detail, "_form": exc.detail}
        return await _new_page(request, session, identity, form, status_code=400)
    return redirect(request, f"/recipes/{recipe.slug}", flash=f"“{recipe.title}” is saved.")


@router.get("/recipes/{slug}/edit")
async def edit_recipe(
    slug: str, request: Request, identity: PageUser, session: SessionDep
) -> Response:
    recipe_id = await page_reads.recipe_id_for_slug(session, slug=slug)
    stored = await page_reads.editable_document(session, actor=identity.actor, recipe_id=recipe_id)
    document = orjson.loads(stored.body)
    form = form_from_document(document)
    form.etag, form.version = stored.etag, str(document["version"])
    return await _edit_page(request, session, identity, form, slug=slug, title=document["title"])


@router.post("/recipes/{slug}/edit")
async def save_recipe(
    slug: str, request: Request, identity: PageUser, session: SessionDep
) -> Response:
    recipe_id = await page_reads.recipe_id_for_slug(session, slug=slug)
    stored = await page_reads.editable_document(session, actor=identity.actor, recipe_id=recipe_id)
    title = orjson.loads(stored.body)["title"]
    form, action = read_recipe_form(await request.form())
    if apply_row_action(form, action):
        return await _edit_page(request, session, identity, form, slug=slug, title=title)
    data = validate_recipe_form(form, RecipeUpdate)
    if data is None:
        return await _edit_page(
            request, session, identity, form, slug=slug, title=title, status_code=400
        )
    try:
        async with undo_on_error(session):
            await service.update_recipe(
                session,
                actor=identity.actor,
                recipe_id=recipe_id,
                data=data,
                partial=True,
                if_match=form.etag or None,
            )
    except service.EditConflict:
        return await _conflict_page(
            request, session, identity, form, slug=slug, recipe_id=recipe_id
        )
    except ValidationFailed as exc:
        form.errors = {"household_id": exc.detail, "_form": exc.detail}
        return await _edit_page(
            request, session, identity, form, slug=slug, title=title, status_code=400
        )
    return redirect(request, f"/recipes/{slug}", flash="Your changes are saved.")


async def _conflict_page(
    request: Request,
    session: AsyncSession,
    identity: Identity,
    yours: RecipeForm,
    *,
    slug: str,
    recipe_id: int,
) -> Response:
    """Status 409: what the other person changed since the form was loaded, what this person
    changed, and the form with their changes re-applied on top of the current version."""
    stored = await page_reads.editable_document(session, actor=identity.actor, recipe_id=recipe_id)
    document = orjson.loads(stored.body)
    current = form_from_document(document)
    current.etag, current.version = stored.etag, str(document["version"])
    base_document = None
    if (loaded := as_id(yours.version)) is not None:
        base_document = await page_reads.version_snapshot(
            session, actor=identity.actor, recipe_id=recipe_id, version=loaded
        )
    # Without the version the form came from, every field of the form counts as a change.
    base = form_from_document(base_document) if base_document is not None else current
    merged = merge_forms(base, current, yours)
    labels = {name: label.lower() for name, label in DIFF_FIELDS}
    extra = {
        "current_version": document["version"],
        "base_known": base_document is not None,
        "theirs": diff_fields(form_lines(base), form_lines(current)),
        "mine": diff_fields(form_lines(base), form_lines(yours)),
        "both_changed": [labels[name] for name in merged.both_changed],
    }
    return await _edit_page(
        request,
        session,
        identity,
        merged.form,
        slug=slug,
        title=document["title"],
        status_code=409,
        template="recipes/conflict.html",
        extra=extra,
    )
