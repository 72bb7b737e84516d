"""/api/v1/households/{id}/staples: the foods a household always has, which recipes put on a
list offer rather than add."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import Field

from recipevault.deps import CurrentUser, SessionDep
from recipevault.households.service import require_household
from recipevault.http.schemas import Id, InputModel, OutputModel
from recipevault.shopping import foods
from recipevault.shopping.models import FOOD_LENGTH

router = APIRouter(prefix="/api/v1/households", tags=["shopping lists"])
STAPLES = "/{household_id:int}/staples"
FoodName = Annotated[str, Field(min_length=1, max_length=FOOD_LENGTH)]


class Staples(InputModel):
    foods: Annotated[list[FoodName], Field(max_length=500, examples=[["salt", "olive oil"]])]


class StaplesRead(OutputModel):
    foods: list[str]


@router.get(STAPLES, response_model=StaplesRead, responses={404: {}})
async def read_staples(household_id: Id, actor: CurrentUser, session: SessionDep) -> StaplesRead:
    await require_household(session, actor, household_id)
    return StaplesRead(foods=await foods.staples(session, household_id))


@router.put(STAPLES, response_model=StaplesRead, responses={404: {}})
async def keep_staples(
    household_id: Id, data: Staples, actor: CurrentUser, session: SessionDep
) -> StaplesRead:
    """The household's staples, all of them: foods left out stop being staples. What a recipe
    needs of a staple is offered, not added, when the recipe goes on a list."""
    await require_household(session, actor, household_id)
    await foods.keep_staples(session, household_id, data.foods)
    return StaplesRead(foods=await foods.staples(session, household_id))
