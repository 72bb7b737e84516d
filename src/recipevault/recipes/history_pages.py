"""A recipe's past on the website: its revisions with what each edit changed and a button to bring
an old version back, moving a recipe to the trash (after a confirmation page, so it works
without JavaScript), and the trash with its restore buttons."""

from __future__ import annotations

from datetime import timedelta

import orjson
from fastapi import APIRouter, Request, Response

from recipevault.deps import ClientDep, MarkPage, PageUser, SessionDep
from recipevault.http.schemas import Id
from recipevault.recipes import page_reads, service
from recipevault.recipes.revision_diff import diff_documents
from recipevault.web.rendering import redirect, render

router = APIRouter(include_in_schema=False, dependencies=[MarkPage])


@router.get("/recipes/trash")
async def trash(request: Request, identity: PageUser, session: SessionDep) -> Response:
    """Your recipes in the trash, newest first, each with the day it goes for good."""
    recipes = await service.list_trash(session, actor=identity.actor)
    items = [
        {
            "slug": recipe.slug,
            "title": recipe.title,
            "deleted_at": recipe.deleted_at,
            "purged_on": recipe.deleted_at + timedelta(days=service.TRASH_DAYS)
            if recipe.deleted_at
            else None,
        }
        for recipe in recipes
    ]
    return render(request, "recipes/trash.html", {"items": items, "days": service.TRASH_DAYS})


@router.post("/recipes/{slug}/restore")
async def restore_from_trash(
    slug: str, request: Request, identity: PageUser, session: SessionDep
) -> Response:
    recipe_id = await page_reads.recipe_id_for_slug(session, slug=slug, trashed=True)
    recipe = await service.restore_from_trash(session, actor=identity.actor, recipe_id=recipe_id)
    return redirect(request, f"/recipes/{slug}", flash=f"“{recipe.title}” is back from the trash.")


@router.get("/recipes/{slug}/delete")
async def confirm_delete(
    slug: str, request: Request, identity: PageUser, session: SessionDep
) -> Response:
    recipe_id = await page_reads.recipe_id_for_slug(session, slug=slug)
    stored = await page_reads.editable_document(session, actor=identity.actor, recipe_id=recipe_id)
    context = {
        "slug": slug,
        "title": orjson.loads(stored.body)["title"],
        "days": service.TRASH_DAYS,
    }
    return render(request, "recipes/delete.html", context)


@router.post("/recipes/{slug}/delete")
async def delete(
    slug: str, request: Request, identity: PageUser, session: SessionDep, client: ClientDep
) -> Response:
    """Move the recipe to the trash; it can be restored from there for ``TRASH_DAYS`` days."""
    recipe_id = await page_reads.recipe_id_for_slug(session, slug=slug)
    stored = await page_reads.editable_document(session, actor=identity.actor, recipe_id=recipe_id)
    title = orjson.loads(stored.body)["title"]
    await service.trash_recipe(
        session, actor=identity.actor, recipe_id=recipe_id, if_match=None, ip=client.ip
    )
    return redirect(
        request,
        "/recipes/trash",
        flash=f"“{title}” is in the trash. Restore it within {service.TRASH_DAYS} days.",
    )


@router.get("/recipes/{slug}/revisions")
async def revisions(
    slug: str, request: Request, identity: PageUser, session: SessionDep
) -> Response:
    """Every edit, newest first: who made it, when, and what it changed."""
    recipe_id = await page_reads.recipe_id_for_slug(session, slug=slug)
    history = await page_reads.revision_history(session, actor=identity.actor, recipe_id=recipe_id)
    stored = await page_reads.editable_document(session, actor=identity.actor, recipe_id=recipe_id)
    document = orjson.loads(stored.body)
    edits = [
        {
            "number": step.revision.number,
            "version": step.revision.number + 1,
            "author": step.author.display_name if step.author else "Someone",
            "created_at": step.revision.created_at,
            "changes": diff_documents(step.revision.snapshot, step.after),
        }
        for step in history
    ]
    context = {"recipe": document, "edits": edits, "slug": slug}
    return render(request, "recipes/revisions.html", context)


@router.post("/recipes/{slug}/revisions/{number:int}/restore")
async def restore_revision(
    slug: str, number: Id, request: Request, identity: PageUser, session: SessionDep
) -> Response:
    """Make an old version current again, as a new version (history is only added to)."""
    recipe_id = await page_reads.recipe_id_for_slug(session, slug=slug)
    recipe = await service.restore_revision(
        session, actor=identity.actor, recipe_id=recipe_id, number=number
    )
    return redirect(
        request,
        f"/recipes/{slug}",
        flash=f"Version {number} is back, saved as version {recipe.version}.",
    )
