"""/api/v1/households/{id}/shopping-stores: a household's stores and their aisles."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from recipevault.deps import CurrentUser, SessionDep
from recipevault.http.schemas import Id
from recipevault.shopping.stores import service
from recipevault.shopping.stores.schemas import StoreCreate, StoreRead, StoreUpdate

router = APIRouter(prefix="/api/v1/households", tags=["shopping lists"])
STORES = "/{household_id:int}/shopping-stores"
STORE = STORES + "/{store_id:int}"


@router.get(STORES, response_model=list[StoreRead], responses={404: {}})
async def list_stores(household_id: Id, actor: CurrentUser, session: SessionDep) -> list[StoreRead]:
    stores = await service.list_stores(session, actor=actor, household_id=household_id)
    return [StoreRead.model_validate(store) for store in stores]


@router.post(
    STORES,
    status_code=status.HTTP_201_CREATED,
    response_model=StoreRead,
    responses={404: {}, 409: {}},
)
async def add_store(
    household_id: Id, data: StoreCreate, actor: CurrentUser, session: SessionDep
) -> StoreRead:
    """A store and its aisles in the order one walks them; a list read for the store
    (`GET /api/v1/shopping-lists/{id}?store_id=`) comes in that order."""
    store = await service.add_store(
        session, actor=actor, household_id=household_id, name=data.name, aisles=data.aisles
    )
    return StoreRead.model_validate(store)


@router.patch(STORE, response_model=StoreRead, responses={404: {}, 409: {}})
async def change_store(
    household_id: Id, store_id: Id, data: StoreUpdate, actor: CurrentUser, session: SessionDep
) -> StoreRead:
    """Rename a store or give its aisles in a new order."""
    store = await service.change_store(
        session,
        actor=actor,
        household_id=household_id,
        store_id=store_id,
        changes={name: getattr(data, name) for name in data.model_fields_set},
    )
    return StoreRead.model_validate(store)


@router.delete(STORE, status_code=status.HTTP_204_NO_CONTENT, responses={404: {}})
async def remove_store(
    household_id: Id, store_id: Id, actor: CurrentUser, session: SessionDep
) -> Response:
    await service.remove_store(session, actor=actor, household_id=household_id, store_id=store_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
