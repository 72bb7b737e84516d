"""/api/v1/meal-plan/copy, /templates and /rotations: reusing a household's plan."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from recipevault.deps import CurrentUser, SessionDep
from recipevault.http.schemas import Id
from recipevault.planner.api import entry_list
from recipevault.planner.schemas import MealPlanEntryList, PlannedRecipe
from recipevault.planner.templates import service
from recipevault.planner.templates.schemas import (
    PlanCopy,
    RotationCreate,
    RotationList,
    RotationRead,
    TemplateApply,
    TemplateCreate,
    TemplateEntryRead,
    TemplateList,
    TemplateRead,
    TemplateUpdate,
)

router = APIRouter(prefix="/api/v1/meal-plan", tags=["meal plan"])
TEMPLATE = "/templates/{template_id:int}"
HouseholdQuery = Annotated[Id, Query()]


def template_read(view: service.TemplateView) -> TemplateRead:
    template = view.template
    return TemplateRead(
        id=template.id,
        household_id=template.household_id,
        name=template.name,
        entries=[
            TemplateEntryRead(
                id=each.entry.id,
                weekday=each.entry.weekday,
                days=each.entry.days,
                slot_id=each.entry.slot_id,
                recipe_id=None if each.recipe is None else each.recipe.id,
                recipe=PlannedRecipe.of(each.recipe),
                recipe_unavailable=each.recipe_unavailable,
                servings=None if each.entry.servings is None else float(each.entry.servings),
                title=each.entry.title,
                note=each.entry.note,
                cook_id=each.entry.cook_id,
            )
            for each in view.entries
        ],
    )


@router.post(
    "/copy",
    status_code=status.HTTP_201_CREATED,
    response_model=MealPlanEntryList,
    responses={404: {}},
)
async def copy_plan(data: PlanCopy, actor: CurrentUser, session: SessionDep) -> MealPlanEntryList:
    """Copy a day, a week or any range of up to 100 days to the same days from ``to_start``;
    the copies are answered."""
    copies = await service.copy_plan(
        session,
        actor=actor,
        household_id=data.household_id,
        from_start=data.from_start,
        from_end=data.from_end,
        to_start=data.to_start,
    )
    return entry_list(copies)


@router.get("/templates", response_model=TemplateList, responses={404: {}})
async def list_templates(
    household_id: HouseholdQuery, actor: CurrentUser, session: SessionDep
) -> TemplateList:
    views = await service.list_templates(session, actor=actor, household_id=household_id)
    return TemplateList(items=[template_read(view) for view in views])


@router.post(
    "/templates",
    status_code=status.HTTP_201_CREATED,
    response_model=TemplateRead,
    responses={404: {}, 409: {}},
)
async def save_week_as_template(
    data: TemplateCreate, actor: CurrentUser, session: SessionDep, response: Response
) -> TemplateRead:
    """Save the seven days from ``week_start`` as a template under a name."""
    view = await service.save_week_as_template(
        session,
        actor=actor,
        household_id=data.household_id,
        name=data.name,
        week_start=data.week_start,
    )
    response.headers["Location"] = f"{router.prefix}/templates/{view.template.id}"
    return template_read(view)


@router.get(TEMPLATE, response_model=TemplateRead, responses={404: {}})
async def read_template(template_id: Id, actor: CurrentUser, session: SessionDep) -> TemplateRead:
    return template_read(await service.get_template(session, actor=actor, template_id=template_id))


@router.patch(TEMPLATE, response_model=TemplateRead, responses={404: {}, 409: {}})
async def rename_template(
    template_id: Id, data: TemplateUpdate, actor: CurrentUser, session: SessionDep
) -> TemplateRead:
    if data.name is None:
        view = await service.get_template(session, actor=actor, template_id=template_id)
    else:
        view = await service.rename_template(
            session, actor=actor, template_id=template_id, name=data.name
        )
    return template_read(view)


@router.delete(TEMPLATE, status_code=status.HTTP_204_NO_CONTENT, responses={404: {}})
async def remove_template(template_id: Id, actor: CurrentUser, session: SessionDep) -> None:
    """Remove a template and its rotations; the weeks they planned stay planned."""
    await service.remove_template(session, actor=actor, template_id=template_id)


@router.post(TEMPLATE + "/apply", response_model=MealPlanEntryList, responses={404: {}})
async def apply_template(
    template_id: Id, data: TemplateApply, actor: CurrentUser, session: SessionDep
) -> MealPlanEntryList:
    """Plan the template on the seven days from ``week_start``. Applying it again to the same
    week changes nothing; the answer is the template's entries on that week either way."""
    planned = await service.apply_template(
        session, actor=actor, template_id=template_id, week_start=data.week_start
    )
    return entry_list(planned)


@router.get("/rotations", response_model=RotationList, responses={404: {}})
async def list_rotations(
    household_id: HouseholdQuery, actor: CurrentUser, session: SessionDep
) -> RotationList:
    rotations = await service.list_rotations(session, actor=actor, household_id=household_id)
    return RotationList(items=[RotationRead.model_validate(each) for each in rotations])


@router.post(
    "/rotations",
    status_code=status.HTTP_201_CREATED,
    response_model=RotationRead,
    responses={404: {}},
)
async def start_rotation(
    data: RotationCreate, actor: CurrentUser, session: SessionDep
) -> RotationRead:
    """Repeat a template every ``every_weeks`` weeks from the week starting ``start_date``;
    the weeks up to eight weeks ahead are planned at once, later ones as time goes by."""
    rotation = await service.start_rotation(
        session,
        actor=actor,
        household_id=data.household_id,
        template_id=data.template_id,
        start_date=data.start_date,
        every_weeks=data.every_weeks,
        end_date=data.end_date,
    )
    return RotationRead.model_validate(rotation)


@router.delete(
    "/rotations/{rotation_id:int}", status_code=status.HTTP_204_NO_CONTENT, responses={404: {}}
)
async def stop_rotation(rotation_id: Id, actor: CurrentUser, session: SessionDep) -> None:
    """Stop a rotation; the weeks it planned stay planned."""
    await service.stop_rotation(session, actor=actor, rotation_id=rotation_id)
