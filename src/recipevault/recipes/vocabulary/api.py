"""/api/v1/vocabularies/{kind}: list, rename, merge and delete a household's tags, categories,
tools, foods and units.

Any member of a household may curate its vocabulary (not only its owner): the terms are shared
by every recipe in the household and belong to no one in particular, and members already add
terms by writing recipes. Admins may curate every household's. Terms of a household you are
not in answer 404, like terms that do not exist.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status

from recipevault.deps import CurrentUser, SessionDep
from recipevault.http.schemas import Id
from recipevault.recipes.vocabulary import service as terms
from recipevault.recipes.vocabulary.schemas import (
    AnyTermRead,
    FoodRead,
    Kind,
    TermMerge,
    TermRead,
    TermRename,
    UnitRead,
)

router = APIRouter(prefix="/api/v1/vocabularies", tags=["vocabularies"])
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such term, or one of a household you are not in"}
}


def _read(view: terms.TermView) -> TermRead | FoodRead | UnitRead:
    if view.kind == "foods":
        return FoodRead(
            kind="foods",
            id=view.id,
            household_id=view.household_id,
            name=view.name,
            recipe_count=view.recipe_count,
            plural_name=view.plural_name,
            aliases=list(view.aliases),
        )
    if view.kind == "units":
        return UnitRead(
            kind="units",
            id=view.id,
            household_id=view.household_id,
            name=view.name,
            recipe_count=view.recipe_count,
            plural_name=view.plural_name,
            abbreviation=view.abbreviation,
        )
    return TermRead(
        kind=view.kind,
        id=view.id,
        household_id=view.household_id,
        name=view.name,
        recipe_count=view.recipe_count,
    )


@router.get(
    "/{kind}",
    response_model=list[AnyTermRead],
    responses={404: {"description": "A household you are not in"}},
)
async def list_terms(
    kind: Kind, actor: CurrentUser, session: SessionDep, household_id: Id | None = None
) -> list[TermRead | FoodRead | UnitRead]:
    """The terms of your households (or of `household_id` only), sorted by name, each with
    the number of recipes outside the trash that use it."""
    views = await terms.list_terms(session, actor=actor, kind=kind, household_id=household_id)
    return [_read(view) for view in views]


@router.patch(
    "/{kind}/{term_id:int}",
    response_model=AnyTermRead,
    responses={**NOT_FOUND, 409: {"description": "The name is taken: merge instead"}},
)
async def rename_term(
    kind: Kind, term_id: Id, data: TermRename, actor: CurrentUser, session: SessionDep
) -> TermRead | FoodRead | UnitRead:
    """Rename a term; every recipe using it shows the new name at once. A food keeps its old
    spellings, so text that names it the old way still finds it."""
    view = await terms.rename_term(session, actor=actor, kind=kind, term_id=term_id, name=data.name)
    return _read(view)


@router.post(
    "/{kind}/{term_id:int}/merge",
    response_model=AnyTermRead,
    responses={**NOT_FOUND, 422: {"description": "`into` is this term, or not of its household"}},
)
async def merge_terms(
    kind: Kind, term_id: Id, data: TermMerge, actor: CurrentUser, session: SessionDep
) -> TermRead | FoodRead | UnitRead:
    """Merge this term into `into` (same household): its recipes use `into` instead and this
    term is deleted. Answers the remaining term with its new count."""
    view = await terms.merge_terms(session, actor=actor, kind=kind, term_id=term_id, into=data.into)
    return _read(view)


@router.delete(
    "/{kind}/{term_id:int}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**NOT_FOUND, 409: {"description": "Recipes (trash included) use the term"}},
)
async def delete_term(kind: Kind, term_id: Id, actor: CurrentUser, session: SessionDep) -> None:
    """Delete a term no recipe uses, not even one in the trash."""
    await terms.delete_term(session, actor=actor, kind=kind, term_id=term_id)
