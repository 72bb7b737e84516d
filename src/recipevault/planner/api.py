"""/api/v1/households/{id}/meal-slots and /api/v1/meal-plan: a household's meal slots and
what is planned in them."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from recipevault.accounts.auth import NotAuthenticated
from recipevault.deps import CurrentUser, SessionDep, read_viewer
from recipevault.http.querystring import QueryString
from recipevault.http.routing import direct_get
from recipevault.http.schemas import Id
from recipevault.planner import service
from recipevault.planner.schemas import (
    MealPlanEntryCreate,
    MealPlanEntryList,
    MealPlanEntryRead,
    MealPlanEntryUpdate,
    MealPlanRangeQuery,
    MealSlotCreate,
    MealSlotRead,
    MealSlotUpdate,
    PlannedRecipe,
)

slots_router = APIRouter(prefix="/api/v1/households", tags=["meal plan"])
router = APIRouter(prefix="/api/v1/meal-plan", tags=["meal plan"])
SLOTS = "/{household_id:int}/meal-slots"
RANGE_QUERY = QueryString(MealPlanRangeQuery)
JSON = "application/json"


def entry_read(planned: service.PlannedEntry) -> MealPlanEntryRead:
    """An entry as its reader may see it (shared by every route that answers entries)."""
    entry, recipe = planned.entry, planned.recipe
    return MealPlanEntryRead(
        id=entry.id,
        household_id=entry.household_id,
        date=entry.date,
        end_date=entry.end_date,
        slot_id=entry.slot_id,
        recipe_id=None if recipe is None else recipe.id,
        recipe=PlannedRecipe.of(recipe),
        recipe_unavailable=planned.recipe_unavailable,
        servings=None if entry.servings is None else float(entry.servings),
        title=entry.title,
        note=entry.note,
        cook_id=entry.cook_id,
        leftovers_of=entry.leftovers_of_id,
    )


def entry_list(planned: list[service.PlannedEntry]) -> MealPlanEntryList:
    return MealPlanEntryList(items=[entry_read(each) for each in planned])


# --- Slots -----------------------------------------------------------------------------------


@slots_router.get(SLOTS, response_model=list[MealSlotRead], responses={404: {}})
async def list_meal_slots(
    household_id: Id, actor: CurrentUser, session: SessionDep
) -> list[MealSlotRead]:
    """The household's meal slots in order (Breakfast 08:00, Lunch 12:30, Dinner 19:00 and
    Snack until its members change them)."""
    slots = await service.list_meal_slots(session, actor=actor, household_id=household_id)
    return [MealSlotRead.model_validate(slot) for slot in slots]


@slots_router.post(
    SLOTS, status_code=status.HTTP_201_CREATED, response_model=MealSlotRead, responses={404: {}}
)
async def add_meal_slot(
    household_id: Id, data: MealSlotCreate, actor: CurrentUser, session: SessionDep
) -> MealSlotRead:
    slot = await service.add_meal_slot(
        session,
        actor=actor,
        household_id=household_id,
        name=data.name,
        time=data.time,
        position=data.position,
    )
    return MealSlotRead.model_validate(slot)


@slots_router.patch(SLOTS + "/{slot_id:int}", response_model=MealSlotRead, responses={404: {}})
async def change_meal_slot(
    household_id: Id,
    slot_id: Id,
    data: MealSlotUpdate,
    actor: CurrentUser,
    session: SessionDep,
) -> MealSlotRead:
    """Rename a slot, set or clear its time, or move it (the others keep their order)."""
    slot = await service.change_meal_slot(
        session,
        actor=actor,
        household_id=household_id,
        slot_id=slot_id,
        # The values as validated (a time of day, not its serialized text).
        changes={name: getattr(data, name) for name in data.model_fields_set},
    )
    return MealSlotRead.model_validate(slot)


@slots_router.delete(
    SLOTS + "/{slot_id:int}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={404: {}, 409: {}},
)
async def remove_meal_slot(
    household_id: Id, slot_id: Id, actor: CurrentUser, session: SessionDep
) -> None:
    """Remove a slot nothing is planned in (409 while meals or templates use it)."""
    await service.remove_meal_slot(session, actor=actor, household_id=household_id, slot_id=slot_id)


# --- Entries ---------------------------------------------------------------------------------


@direct_get(
    router,
    "",
    signed_in=True,
    response_model=MealPlanEntryList,
    responses={404: {}},
    openapi_extra=RANGE_QUERY.openapi,
)
async def list_plan(request: Request) -> Response:
    """What is planned on the days from ``start`` to ``end``, by date and slot position (an
    entry of several days is listed on any range it touches)."""
    # A hot read (a week or a month on every visit): the query string, the caller and the
    # database are taken straight from the request, as the recipe reads do.
    query = RANGE_QUERY.parse(request)
    actor = await read_viewer(request)
    if actor is None:
        raise NotAuthenticated()
    body = await service.plan_json(
        request.app.state.database,
        actor=actor,
        household_id=query.household_id,
        start=query.start,
        end=query.end,
    )
    return Response(body, media_type=JSON)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=MealPlanEntryRead,
    responses={404: {}},
)
async def add_plan_entry(
    data: MealPlanEntryCreate, actor: CurrentUser, session: SessionDep, response: Response
) -> MealPlanEntryRead:
    """Plan a recipe (at the recipe's servings unless given), a note alone ("Eating out"), or
    the leftovers of another entry, for one day or several."""
    planned = await service.add_plan_entry(session, actor=actor, data=data)
    response.headers["Location"] = f"{router.prefix}/{planned.entry.id}"
    return entry_read(planned)


@router.get("/{entry_id:int}", response_model=MealPlanEntryRead, responses={404: {}})
async def read_plan_entry(
    entry_id: Id, actor: CurrentUser, session: SessionDep
) -> MealPlanEntryRead:
    return entry_read(await service.get_plan_entry(session, actor=actor, entry_id=entry_id))


@router.patch("/{entry_id:int}", response_model=MealPlanEntryRead, responses={404: {}})
async def change_plan_entry(
    entry_id: Id, data: MealPlanEntryUpdate, actor: CurrentUser, session: SessionDep
) -> MealPlanEntryRead:
    """Change an entry; moving its ``date`` alone keeps its length."""
    planned = await service.change_plan_entry(
        session, actor=actor, entry_id=entry_id, changes=data.model_dump(exclude_unset=True)
    )
    return entry_read(planned)


@router.delete("/{entry_id:int}", status_code=status.HTTP_204_NO_CONTENT, responses={404: {}})
async def remove_plan_entry(entry_id: Id, actor: CurrentUser, session: SessionDep) -> None:
    await service.remove_plan_entry(session, actor=actor, entry_id=entry_id)
