"""The service functions the recipe pages read through: by slug, with authorization, and the
history and suggestions they show."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.db import Database
from recipevault.errors import Forbidden
from recipevault.recipes import documents, page_reads, service
from recipevault.recipes.schemas import RecipeUpdate
from tests.recipes.pages_support import make_recipe, pancakes
from tests.support.world import World, actor_for


async def test_readable_document_by_slug_hides_what_the_viewer_may_not_read(
    database: Database, session: AsyncSession, world: World
) -> None:
    public = await make_recipe(session, world.owner, pancakes())
    private = await make_recipe(session, world.owner, pancakes(title="Mine", visibility="private"))
    stored = await page_reads.readable_document(database, viewer=None, slug=public.slug)
    assert stored.id == public.id
    with pytest.raises(service.RecipeNotFound):
        await page_reads.readable_document(database, viewer=None, slug=private.slug)
    outsider = await actor_for(session, world.outsider)
    with pytest.raises(service.RecipeNotFound):
        await page_reads.readable_document(database, viewer=outsider, slug=private.slug)
    owner = await actor_for(session, world.owner)
    assert (await page_reads.readable_document(database, viewer=owner, slug=private.slug)).id == (
        private.id
    )
    with pytest.raises(service.RecipeNotFound):
        await page_reads.readable_document(database, viewer=owner, slug="nothing-here")


async def test_a_recipe_read_by_slug_is_the_one_read_by_id(
    database: Database, session: AsyncSession, world: World
) -> None:
    recipe = await make_recipe(session, world.owner, pancakes())
    other = await make_recipe(session, world.owner, pancakes(title="Waffles"))
    by_slug = await documents.stored_recipe(database, slug=recipe.slug)
    assert by_slug is not None
    assert by_slug == await documents.stored_recipe(database, recipe.id)
    assert by_slug.id == recipe.id != other.id
    # The same in the session's transaction, and not once the recipe is in the trash.
    assert await documents.stored_recipe(session, slug=recipe.slug) == by_slug
    owner = await actor_for(session, world.owner)
    await service.trash_recipe(session, actor=owner, recipe_id=recipe.id, if_match=None, ip=None)
    assert await documents.stored_recipe(session, slug=recipe.slug) is None
    assert await documents.stored_recipe(session, slug="nothing-here") is None
    for neither_or_both in ({}, {"recipe_id": recipe.id, "slug": recipe.slug}):
        with pytest.raises(TypeError):
            await documents.stored_recipe(session, **neither_or_both)  # type: ignore[arg-type]


async def test_slugs_find_live_or_trashed_recipes(session: AsyncSession, world: World) -> None:
    recipe = await make_recipe(session, world.owner, pancakes())
    owner = await actor_for(session, world.owner)
    assert await page_reads.recipe_id_for_slug(session, slug=recipe.slug) == recipe.id
    await service.trash_recipe(session, actor=owner, recipe_id=recipe.id, if_match=None, ip=None)
    with pytest.raises(service.RecipeNotFound):
        await page_reads.recipe_id_for_slug(session, slug=recipe.slug)
    assert await page_reads.recipe_id_for_slug(session, slug=recipe.slug, trashed=True) == recipe.id


async def test_editable_document_is_for_editors(session: AsyncSession, world: World) -> None:
    recipe = await make_recipe(
        session, world.owner, pancakes(visibility="household", household_id=world.household.id)
    )
    owner = await actor_for(session, world.owner)
    assert (await page_reads.editable_document(session, actor=owner, recipe_id=recipe.id)).id == (
        recipe.id
    )
    member = await actor_for(session, world.member)
    with pytest.raises(Forbidden):
        await page_reads.editable_document(session, actor=member, recipe_id=recipe.id)
    outsider = await actor_for(session, world.outsider)
    with pytest.raises(service.RecipeNotFound):
        await page_reads.editable_document(session, actor=outsider, recipe_id=recipe.id)


async def test_suggestions_are_the_households_terms(session: AsyncSession, world: World) -> None:
    await make_recipe(session, world.owner, pancakes(household_id=world.household.id))
    await make_recipe(session, world.outsider, pancakes(tags=["secret"], categories=["Hidden"]))
    member = await actor_for(session, world.member)
    assert await page_reads.term_suggestions(session, actor=member) == {
        "tags": ["breakfast", "quick"],
        "categories": ["Brunch"],
    }


async def test_suggestions_leave_out_the_words_of_anothers_private_recipes(
    session: AsyncSession, world: World
) -> None:
    home = world.household.id
    await make_recipe(session, world.owner, pancakes(household_id=home, visibility="household"))
    secret = pancakes(
        household_id=home, visibility="private", tags=["surprise"], categories=["Gifts"]
    )
    await make_recipe(session, world.owner, secret)
    member = await actor_for(session, world.member)
    assert await page_reads.term_suggestions(session, actor=member) == {
        "tags": ["breakfast", "quick"],
        "categories": ["Brunch"],
    }
    owner = await actor_for(session, world.owner)
    assert await page_reads.term_suggestions(session, actor=owner) == {
        "tags": ["breakfast", "quick", "surprise"],
        "categories": ["Brunch", "Gifts"],
    }


async def test_history_pairs_each_version_with_the_next(
    session: AsyncSession, world: World
) -> None:
    recipe = await make_recipe(session, world.owner, pancakes())
    owner = await actor_for(session, world.owner)
    for title in ("Second", "Third"):
        await service.update_recipe(
            session,
            actor=owner,
            recipe_id=recipe.id,
            data=RecipeUpdate(title=title),
            partial=True,
            if_match=None,
        )
    history = await page_reads.revision_history(session, actor=owner, recipe_id=recipe.id)
    assert [
        (s.revision.number, s.revision.snapshot["title"], s.after["title"]) for s in history
    ] == [
        (2, "Second", "Third"),
        (1, "Buttermilk Pancakes", "Second"),
    ]
    assert history[0].author is not None
    assert history[0].author.display_name == "Olive Owner"
    snapshot = await page_reads.version_snapshot(
        session, actor=owner, recipe_id=recipe.id, version=1
    )
    assert snapshot is not None
    assert snapshot["title"] == "Buttermilk Pancakes"
    current = await page_reads.version_snapshot(
        session, actor=owner, recipe_id=recipe.id, version=3
    )
    assert current is not None
    assert current["title"] == "Third"
    assert (
        await page_reads.version_snapshot(session, actor=owner, recipe_id=recipe.id, version=9)
        is None
    )
