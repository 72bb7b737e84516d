"""/api/v1/meal-plan/suggest: proposals for the empty slots of a range, each with its reasons."""

from __future__ import annotations

from fastapi import APIRouter

from recipevault.deps import CurrentUser, DatabaseDep, SessionDep
from recipevault.http.routing import reads_only
from recipevault.planner.suggestions import service
from recipevault.planner.suggestions.picking import Pick
from recipevault.planner.suggestions.schemas import (
    SuggestedRecipe,
    Suggestion,
    SuggestionList,
    SuggestionRequest,
)

router = APIRouter(prefix="/api/v1/meal-plan", tags=["meal plan"])


def _suggestion(pick: Pick) -> Suggestion:
    choice = pick.choice
    return Suggestion(
        date=pick.slot_day.date,
        slot_id=pick.slot_day.slot_id,
        recipe=None
        if choice is None
        else SuggestedRecipe(id=choice.id, title=choice.title, slug=choice.slug),
        reasons=list(pick.reasons),
    )


@router.post("/suggest", response_model=SuggestionList, responses={404: {}})
@reads_only
async def suggest(
    data: SuggestionRequest, actor: CurrentUser, session: SessionDep, database: DatabaseDep
) -> SuggestionList:
    """A recipe proposed for each slot of each day of the range that nothing is planned for,
    with the rules it meets; nothing is saved. The same request and `seed` give the same
    proposals. Where no recipe meets the rules, `recipe` is null and the reason says why. It
    only reads, though a POST: read-only tokens may call it."""
    picks = await service.suggest(session, database, actor=actor, data=data)
    return SuggestionList(items=[_suggestion(pick) for pick in picks])
