"""/api/v1/recipes: create, read (scaled and converted), replace, patch, trash, list and search,
cook-with, revisions. Reads answer with stored documents as bytes."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Header, Request, Response, status

from recipevault.deps import (
    ClientDep,
    CurrentUser,
    DatabaseDep,
    ReadViewer,
    SessionDep,
    read_viewer,
)
from recipevault.errors import Unprocessable, field_errors
from recipevault.http.pagination import Page
from recipevault.http.querystring import QueryString, path_id, path_id_parameter
from recipevault.http.routing import direct_get, etag_matches, reads_only
from recipevault.http.schemas import Id
from recipevault.policy import Viewer, can_read
from recipevault.recipes import documents, listing, service
from recipevault.recipes.scaled_document import present
from recipevault.recipes.schemas import (
    CookWithMatch,
    CookWithRequest,
    RecipeCreate,
    RecipeListQuery,
    RecipePage,
    RecipeRead,
    RecipeSummary,
    RecipeUpdate,
    RecipeViewQuery,
    RevisionRead,
    RevisionSummary,
)

router = APIRouter(prefix="/api/v1/recipes", tags=["recipes"])
JSON = "application/json"
IfMatch = Annotated[str | None, Header(description="The ETag you read; 412 if it is stale")]
LIST_QUERY = QueryString(RecipeListQuery)
VIEW_QUERY = QueryString(RecipeViewQuery)
ReadResponses: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified"},
    404: {"description": "No such recipe, or not one you may see"},
}


def _refused_view(field: str, message: str) -> Unprocessable:
    # Parameters each valid, that together (or with this recipe) make no view.
    return Unprocessable(message, extra=field_errors(field, message, where="query"))


def _readable(stored: documents.StoredRecipe | None, viewer: Viewer) -> documents.StoredRecipe:
    if stored is None or not can_read(viewer, stored):
        raise service.RecipeNotFound()
    return stored


async def _written(
    session: SessionDep, viewer: Viewer, recipe_id: int, status_code: int
) -> Response:
    stored = _readable(await documents.stored_recipe(session, recipe_id), viewer)
    return Response(
        stored.body, status_code=status_code, media_type=JSON, headers={"ETag": stored.etag}
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=RecipeRead,
    responses={201: {"headers": {"Location": {}, "ETag": {}}}, 422: {}},
)
async def create_recipe(
    data: RecipeCreate, actor: CurrentUser, session: SessionDep, client: ClientDep
) -> Response:
    """Create a recipe. Ingredient lines given as text are parsed; the text is kept."""
    recipe = await service.create_recipe(session, actor=actor, data=data, ip=client.ip)
    response = await _written(session, actor, recipe.id, status.HTTP_201_CREATED)
    response.headers["Location"] = f"{router.prefix}/{recipe.id}"
    return response


@direct_get(
    router,
    "",
    response_model=RecipePage,
    responses={422: {}},
    openapi_extra=LIST_QUERY.openapi,
)
async def list_recipes(request: Request) -> Response:
    """Recipes you may see, filtered (every tag, category, tool and food given must match),
    sorted, and paged with `next` cursors. With `q`, full-text search sorted by relevance
    (every match, recipes with every word in the title first), with misspelt words corrected
    when they find nothing, and the number of matches in `total`."""
    # A hot read: the query string, viewer and database are taken straight from the request
    # (see querystring.py and deps.read_viewer for what declaring them would cost).
    query = LIST_QUERY.parse(request)
    viewer = await read_viewer(request)
    body = await listing.list_recipes(
        request.app.state.database,
        viewer=viewer,
        filters=listing.RecipeFilters.from_query(query),
        sort=query.sort,
        limit=query.limit,
        cursor=query.cursor,
    )
    return Response(body, media_type=JSON)


@router.post("/cook-with", response_model=Page[CookWithMatch])
@reads_only
async def cook_with(data: CookWithRequest, viewer: ReadViewer, database: DatabaseDep) -> Response:
    """Recipes ranked by the share of their ingredients you have. It only reads, though a POST
    (a list of foods is too long for a query string): read-only tokens may call it."""
    body = await listing.cook_with(database, viewer=viewer, foods=data.foods, limit=data.limit)
    return Response(body, media_type=JSON)


@router.get("/trash", response_model=list[RecipeSummary])
async def list_trash(actor: CurrentUser, session: SessionDep) -> Response:
    """Your recipes in the trash; they are deleted for good after 30 days."""
    recipes = await service.list_trash(session, actor=actor)
    items = await documents.fetch_summaries(session, [recipe.id for recipe in recipes])
    return Response(b"[" + b",".join(items) + b"]", media_type=JSON)


@direct_get(
    router,
    "/{recipe_id:int}",
    response_model=RecipeRead,
    responses=ReadResponses,
    openapi_extra={
        "parameters": [path_id_parameter("recipe_id"), *VIEW_QUERY.openapi["parameters"]]
    },
)
async def read_recipe(request: Request) -> Response:
    """A recipe; `servings` or `scale` scale it, `units` converts it."""
    # The hottest read: no declared parameters or dependencies, not even the path's id (see
    # list_recipes); the OpenAPI document still lists them.
    recipe_id = path_id(request, "recipe_id")
    view = VIEW_QUERY.parse(request)
    viewer = await read_viewer(request)
    stored = _readable(await documents.stored_recipe(request.app.state.database, recipe_id), viewer)
    etag = stored.etag
    body = stored.body
    if view.changes_anything:
        if view.servings is not None and view.scale is not None:
            raise _refused_view("scale", "Give servings or scale, not both.")
        try:
            presented = present(
                orjson.loads(body),
                factor=view.scale or Decimal(1),
                servings=view.servings,
                system=view.units,
            )
        except ValueError as exc:
            raise _refused_view("servings", f"Cannot scale by servings: {exc}.") from None
        body = orjson.dumps(presented)
        etag = f'{etag[:-1]}-{view.servings or ""}-{view.scale or ""}-{view.units or ""}"'
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
    return Response(body, media_type=JSON, headers={"ETag": etag})


@router.put("/{recipe_id:int}", response_model=RecipeRead, responses={404: {}, 412: {}})
async def replace_recipe(
    recipe_id: Id,
    data: RecipeCreate,
    actor: CurrentUser,
    session: SessionDep,
    if_match: IfMatch = None,
) -> Response:
    await service.update_recipe(
        session, actor=actor, recipe_id=recipe_id, data=data, partial=False, if_match=if_match
    )
    return await _written(session, actor, recipe_id, status.HTTP_200_OK)


@router.patch("/{recipe_id:int}", response_model=RecipeRead, responses={404: {}, 412: {}})
async def patch_recipe(
    recipe_id: Id,
    data: RecipeUpdate,
    actor: CurrentUser,
    session: SessionDep,
    if_match: IfMatch = None,
) -> Response:
    await service.update_recipe(
        session, actor=actor, recipe_id=recipe_id, data=data, partial=True, if_match=if_match
    )
    return await _written(session, actor, recipe_id, status.HTTP_200_OK)


@router.delete(
    "/{recipe_id:int}", status_code=status.HTTP_204_NO_CONTENT, responses={404: {}, 412: {}}
)
async def delete_recipe(
    recipe_id: Id,
    actor: CurrentUser,
    session: SessionDep,
    client: ClientDep,
    if_match: IfMatch = None,
) -> None:
    """Move a recipe to the trash (restorable for 30 days)."""
    await service.trash_recipe(
        session, actor=actor, recipe_id=recipe_id, if_match=if_match, ip=client.ip
    )


@router.post("/{recipe_id:int}/restore", response_model=RecipeRead, responses={404: {}})
async def restore_recipe(recipe_id: Id, actor: CurrentUser, session: SessionDep) -> Response:
    """Take a recipe back out of the trash."""
    await service.restore_from_trash(session, actor=actor, recipe_id=recipe_id)
    return await _written(session, actor, recipe_id, status.HTTP_200_OK)


@router.get("/{recipe_id:int}/revisions", response_model=list[RevisionSummary])
async def list_revisions(
    recipe_id: Id, actor: CurrentUser, session: SessionDep
) -> list[RevisionSummary]:
    """Earlier versions, newest first: who changed what, and when."""
    revisions = await service.list_revisions(session, actor=actor, recipe_id=recipe_id)
    authors = await service.revision_authors(session, revisions)
    return [
        RevisionSummary(
            number=r.number,
            author=authors.get(r.author_id),
            created_at=r.created_at,
            changed_fields=r.changed_fields,
        )
        for r in revisions
    ]


@router.get("/{recipe_id:int}/revisions/{number:int}", response_model=RevisionRead)
async def read_revision(
    recipe_id: Id, number: Id, actor: CurrentUser, session: SessionDep
) -> RevisionRead:
    revision = await service.get_revision(session, actor=actor, recipe_id=recipe_id, number=number)
    authors = await service.revision_authors(session, [revision])
    return RevisionRead(
        number=revision.number,
        author=authors.get(revision.author_id),
        created_at=revision.created_at,
        changed_fields=revision.changed_fields,
        recipe=revision.snapshot,
    )


@router.post("/{recipe_id:int}/revisions/{number:int}/restore", response_model=RecipeRead)
async def restore_revision(
    recipe_id: Id, number: Id, actor: CurrentUser, session: SessionDep
) -> Response:
    """Make an earlier version current again, as a new version."""
    await service.restore_revision(session, actor=actor, recipe_id=recipe_id, number=number)
    return await _written(session, actor, recipe_id, status.HTTP_200_OK)
