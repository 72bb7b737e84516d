"""Every route, API and page, called as each kind of person, answers what the authorization
model says.

Roles: a visitor (signed out), an outsider (a member of another household), a member and the
owner of the shared household, and a site admin. They sign in with browser sessions, so every
unsafe call also passes the CSRF check. A route added to the app without a row here fails
``test_every_route_is_in_the_matrix``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.accounts import sessions as browser_sessions
from recipevault.accounts import tokens
from recipevault.accounts.models import User
from recipevault.accounts.schemas import ApiTokenCreate
from recipevault.config import Settings
from recipevault.households import service as households
from recipevault.jobs import service as jobs
from recipevault.jobs.models import JobStatus
from recipevault.planner import service as planner
from recipevault.planner.calendar import service as calendar_feeds
from recipevault.planner.schemas import MealPlanEntryCreate
from recipevault.planner.templates import service as plan_templates
from recipevault.policy import Actor, Visibility
from recipevault.recipes import service as recipes
from recipevault.recipes.images.addresses import new_token
from recipevault.recipes.models import ImageStatus, RecipeImage, Tag
from recipevault.recipes.schemas import IngredientIn, RecipeCreate, RecipeUpdate
from recipevault.recipes.vocabulary.resolving import resolve_terms
from recipevault.shopping import additions as shopping_additions
from recipevault.shopping import service as shopping
from recipevault.shopping.stores import service as shopping_stores
from tests.support.jobs import RecordingQueue
from tests.support.world import PASSWORD, World, actor_for, make_world

ROLES = ("visitor", "outsider", "member", "owner", "admin")


@dataclass
class Setup:
    world: World
    refresh_token: str
    token_id: int
    invite_id: int
    invite_code: str
    recipe_id: int
    trashed_recipe_id: int
    recipe_slug: str
    trashed_slug: str
    term_id: int
    other_term_id: int
    unused_term_id: int
    job_id: int
    image_id: int
    failed_job_id: int
    slot_id: int
    free_slot_id: int
    entry_id: int
    template_id: int
    rotation_id: int
    feed_id: int
    feed_token: str
    list_id: int
    item_id: int
    store_id: int


Body = Callable[[Setup], dict[str, Any]]


@dataclass(frozen=True)
class Case:
    expect: tuple[int, int, int, int, int]  # visitor, outsider, member, owner, admin
    json: Body | None = None
    form: Body | None = None
    params: dict[str, str] = field(default_factory=dict)
    query: Body | None = None


def same(status: int) -> tuple[int, int, int, int, int]:
    return (status,) * 5


SIGNED_IN = (401, 200, 200, 200, 200)
HH = "/api/v1/households/{household_id}"
HH_PAGE = "/households/{household_id}"
RECIPE = "/api/v1/recipes/{recipe_id}"
TERM = "/api/v1/vocabularies/{kind}/{term_id}"
PAGE = "/recipes/{slug}"
IMAGES = RECIPE + "/images"
PLAN = "/api/v1/meal-plan"
LISTS = "/api/v1/shopping-lists"
LIST = LISTS + "/{list_id}"
SHOP = "/shopping/{list_id}"
MEMBERS = (401, 404, 200, 200, 200)
MEMBERS_CREATE = (401, 404, 201, 201, 201)
MEMBERS_DELETE = (401, 404, 204, 204, 204)
CURATORS = (401, 404, 200, 200, 200)
# Hidden from visitors and outsiders, readable but not editable by members.
EDITORS = (401, 404, 403, 200, 200)
# A page's form that members (and admins) may send: done, then a redirect (303).
MEMBERS_PAGE_POST = (403, 404, 303, 303, 303)

MATRIX: dict[tuple[str, str], Case] = {
    # Site pages, probes and documentation are public.
    ("GET", "/"): Case(same(200)),
    ("GET", "/health/live"): Case(same(200)),
    ("GET", "/health/ready"): Case(same(200)),
    ("GET", "/metrics"): Case(same(200)),
    ("GET", "/openapi.json"): Case(same(200)),
    ("GET", "/docs"): Case(same(200)),
    ("GET", "/docs/oauth2-redirect"): Case(same(200)),
    ("GET", "/redoc"): Case(same(200)),
    # Signing up and in needs no identity.
    ("POST", "/api/v1/auth/register"): Case(
        same(201),
        json=lambda s: {
            "email": "fresh@example.org",
            "password": PASSWORD,
            "display_name": "Fresh",
        },
    ),
    ("POST", "/api/v1/auth/token"): Case(
        same(200), form=lambda s: {"username": s.world.owner.email, "password": PASSWORD}
    ),
    ("POST", "/api/v1/auth/refresh"): Case(
        same(200), json=lambda s: {"refresh_token": s.refresh_token}
    ),
    ("POST", "/api/v1/auth/logout"): Case(
        same(204), json=lambda s: {"refresh_token": s.refresh_token}
    ),
    ("POST", "/api/v1/auth/session"): Case(
        same(200), json=lambda s: {"email": s.world.owner.email, "password": PASSWORD}
    ),
    ("GET", "/api/v1/auth/session"): Case(SIGNED_IN),
    ("DELETE", "/api/v1/auth/session"): Case((401, 204, 204, 204, 204)),
    ("POST", "/api/v1/auth/password-reset"): Case(
        same(202), json=lambda s: {"email": s.world.owner.email}
    ),
    ("POST", "/api/v1/auth/password-reset/confirm"): Case(
        same(400), json=lambda s: {"token": "not-a-real-token", "new_password": "x" * 12}
    ),
    ("POST", "/api/v1/auth/verify-email"): Case(same(400), json=lambda s: {"token": "nope"}),
    ("POST", "/api/v1/auth/verify-email/resend"): Case((401, 202, 202, 202, 202)),
    # One's own account.
    ("GET", "/api/v1/users/me"): Case(SIGNED_IN),
    ("PATCH", "/api/v1/users/me"): Case(SIGNED_IN, json=lambda s: {"display_name": "Renamed"}),
    ("POST", "/api/v1/users/me/password"): Case(
        (401, 204, 204, 204, 204),
        json=lambda s: {"current_password": PASSWORD, "new_password": "another fine passphrase"},
    ),
    ("GET", "/api/v1/users/me/tokens"): Case(SIGNED_IN),
    ("POST", "/api/v1/users/me/tokens"): Case(
        (401, 201, 201, 201, 201), json=lambda s: {"name": "t"}
    ),
    # The owner's token: nobody else can see that it exists.
    ("DELETE", "/api/v1/users/me/tokens/{token_id}"): Case((401, 404, 404, 204, 404)),
    # Households.
    ("GET", "/api/v1/households"): Case(SIGNED_IN),
    ("POST", "/api/v1/households"): Case((401, 201, 201, 201, 201), json=lambda s: {"name": "New"}),
    ("POST", "/api/v1/households/join"): Case(
        (401, 200, 409, 409, 200), json=lambda s: {"code": s.invite_code}
    ),
    ("GET", HH): Case((401, 404, 200, 200, 200)),
    ("PATCH", HH): Case((401, 404, 403, 200, 200), json=lambda s: {"name": "Renamed"}),
    ("POST", HH + "/invites"): Case((401, 404, 403, 201, 201), json=lambda s: {}),
    ("GET", HH + "/invites"): Case((401, 404, 403, 200, 200)),
    ("DELETE", HH + "/invites/{invite_id}"): Case((401, 404, 403, 204, 204)),
    ("POST", HH + "/leave"): Case((401, 404, 204, 409, 404)),
    # Members manage their household's calendar feeds; an admin from outside may list and
    # revoke them but not make one (a feed shows the plan as its maker sees it).
    ("POST", HH + "/calendar-feeds"): Case((401, 404, 201, 201, 404)),
    ("GET", HH + "/calendar-feeds"): Case((401, 404, 200, 200, 200)),
    ("DELETE", HH + "/calendar-feeds/{feed_id}"): Case((401, 404, 204, 204, 204)),
    # The feed's secret address is its credential, whoever calls it.
    ("GET", "/calendar/{token}.ics"): Case(same(200)),
    ("DELETE", HH + "/members/{user_id}"): Case((401, 404, 403, 204, 204)),
    ("POST", HH + "/transfer"): Case(
        (401, 404, 403, 200, 200), json=lambda s: {"user_id": s.world.member.id}
    ),
    # The household's meal plan: its members (and admins) read and change it; to anyone else
    # it does not exist.
    ("GET", HH + "/meal-slots"): Case(MEMBERS),
    ("POST", HH + "/meal-slots"): Case(MEMBERS_CREATE, json=lambda s: {"name": "Brunch"}),
    ("PATCH", HH + "/meal-slots/{slot_id}"): Case(MEMBERS, json=lambda s: {"name": "Supper"}),
    ("DELETE", HH + "/meal-slots/{slot_id}"): Case(MEMBERS_DELETE),  # one nothing uses
    ("GET", PLAN): Case(MEMBERS, query=lambda s: _week(s)),
    ("POST", PLAN): Case(
        MEMBERS_CREATE,
        json=lambda s: {
            "household_id": s.world.household.id,
            "date": "2026-12-08",
            "slot_id": s.slot_id,
            "recipe_id": s.recipe_id,
        },
    ),
    ("GET", PLAN + "/{entry_id}"): Case(MEMBERS),
    ("PATCH", PLAN + "/{entry_id}"): Case(MEMBERS, json=lambda s: {"note": "Double it"}),
    ("DELETE", PLAN + "/{entry_id}"): Case(MEMBERS_DELETE),
    ("POST", PLAN + "/copy"): Case(
        MEMBERS_CREATE,
        json=lambda s: {
            "household_id": s.world.household.id,
            "from_start": "2026-12-07",
            "from_end": "2026-12-13",
            "to_start": "2026-12-14",
        },
    ),
    ("GET", PLAN + "/templates"): Case(MEMBERS, query=lambda s: _household(s)),
    ("POST", PLAN + "/templates"): Case(
        MEMBERS_CREATE,
        json=lambda s: {
            "household_id": s.world.household.id,
            "name": "Another week",
            "week_start": "2026-12-07",
        },
    ),
    ("GET", PLAN + "/templates/{template_id}"): Case(MEMBERS),
    ("PATCH", PLAN + "/templates/{template_id}"): Case(MEMBERS, json=lambda s: {"name": "Cosy"}),
    ("DELETE", PLAN + "/templates/{template_id}"): Case(MEMBERS_DELETE),
    ("POST", PLAN + "/templates/{template_id}/apply"): Case(
        MEMBERS, json=lambda s: {"week_start": "2026-12-21"}
    ),
    ("GET", PLAN + "/rotations"): Case(MEMBERS, query=lambda s: _household(s)),
    ("POST", PLAN + "/rotations"): Case(
        MEMBERS_CREATE,
        json=lambda s: {
            "household_id": s.world.household.id,
            "template_id": s.template_id,
            "start_date": "2026-12-07",
            "every_weeks": 2,
        },
    ),
    ("DELETE", PLAN + "/rotations/{rotation_id}"): Case(MEMBERS_DELETE),
    # The household's shopping lists: its members (and admins) read and change them; to anyone
    # else they do not exist.
    ("GET", LISTS): Case(MEMBERS, query=lambda s: _household(s)),
    ("POST", LISTS): Case(
        MEMBERS_CREATE, json=lambda s: {"household_id": s.world.household.id, "name": "Party"}
    ),
    ("GET", LIST): Case(MEMBERS),
    ("PATCH", LIST): Case(MEMBERS, json=lambda s: {"name": "Big shop"}),
    ("DELETE", LIST): Case(MEMBERS_DELETE),
    ("GET", LIST + "/changes"): Case(MEMBERS, params={"since": "0"}),
    ("GET", LIST + "/suggestions"): Case(MEMBERS, params={"q": "flo"}),
    ("GET", LIST + "/checked"): Case(MEMBERS),
    ("GET", HH + "/shopping-stores"): Case(MEMBERS),
    ("GET", HH + "/staples"): Case(MEMBERS),
    ("PUT", HH + "/staples"): Case(MEMBERS, json=lambda s: {"foods": ["salt"]}),
    ("POST", LIST + "/recipes"): Case(
        MEMBERS, json=lambda s: {"recipe_id": s.recipe_id, "servings": 4}
    ),
    ("DELETE", LIST + "/recipes/{recipe_id}"): Case(MEMBERS),
    ("POST", LIST + "/meal-plan"): Case(
        MEMBERS, json=lambda s: {"start": "2026-12-07", "end": "2026-12-13"}
    ),
    ("DELETE", LIST + "/meal-plan/{entry_id}"): Case(MEMBERS),
    ("POST", HH + "/shopping-stores"): Case(
        MEMBERS_CREATE, json=lambda s: {"name": "Market", "aisles": ["Fish"]}
    ),
    ("PATCH", HH + "/shopping-stores/{store_id}"): Case(
        MEMBERS, json=lambda s: {"aisles": ["Bakery", "Produce"]}
    ),
    ("DELETE", HH + "/shopping-stores/{store_id}"): Case(MEMBERS_DELETE),
    ("POST", LIST + "/items"): Case(MEMBERS_CREATE, json=lambda s: {"text": "2 onions"}),
    ("PATCH", LIST + "/items/{item_id}"): Case(MEMBERS, json=lambda s: {"checked": True}),
    ("DELETE", LIST + "/items/{item_id}"): Case(MEMBERS_DELETE),
    ("POST", LIST + "/clear-checked"): Case(MEMBERS, json=lambda s: {}),
    # Suggestions only read.
    ("POST", "/api/v1/meal-plan/suggest"): Case(
        (401, 404, 200, 200, 200),
        json=lambda s: {
            "household_id": s.world.household.id,
            "start": "2026-12-07",
            "end": "2026-12-13",
        },
    ),
    # Recipes. The one in the URL belongs to the owner and is shared with the household.
    ("POST", "/api/v1/recipes"): Case((401, 201, 201, 201, 201), json=lambda s: {"title": "X"}),
    ("GET", "/api/v1/recipes"): Case(same(200)),
    ("POST", "/api/v1/recipes/cook-with"): Case(same(200), json=lambda s: {"foods": ["flour"]}),
    ("GET", "/api/v1/recipes/trash"): Case(SIGNED_IN),
    ("GET", RECIPE): Case((404, 404, 200, 200, 200)),
    ("PUT", RECIPE): Case(EDITORS, json=lambda s: {"title": "Replaced"}),
    ("PATCH", RECIPE): Case(EDITORS, json=lambda s: {"title": "Patched"}),
    ("DELETE", RECIPE): Case((401, 404, 403, 204, 204)),
    ("POST", RECIPE + "/restore"): Case(EDITORS),  # a trashed one
    ("GET", RECIPE + "/revisions"): Case(EDITORS),
    ("GET", RECIPE + "/revisions/{number}"): Case(EDITORS),
    ("POST", RECIPE + "/revisions/{number}/restore"): Case(EDITORS),
    # Images of the shared recipe: read like it, changed by its editors.
    ("GET", IMAGES): Case((404, 404, 200, 200, 200)),
    # Without a file: the recipe is checked before the (missing) upload.
    ("POST", IMAGES): Case((401, 404, 403, 422, 422)),
    ("PUT", IMAGES + "/order"): Case(EDITORS, json=lambda s: {"image_ids": [s.image_id]}),
    ("POST", IMAGES + "/{image_id}/primary"): Case(EDITORS),
    ("DELETE", IMAGES + "/{image_id}"): Case((401, 404, 403, 204, 204)),
    # Renditions are capability URLs: no identity matters; this one does not exist.
    ("GET", "/media/{address:path}"): Case(same(404)),
    # Vocabularies: any member of the household curates them.
    ("GET", "/api/v1/vocabularies/{kind}"): Case(SIGNED_IN),
    ("PATCH", TERM): Case(CURATORS, json=lambda s: {"name": "Renamed tag"}),
    ("POST", TERM + "/merge"): Case(CURATORS, json=lambda s: {"into": s.other_term_id}),
    ("DELETE", TERM): Case((401, 404, 204, 204, 204)),  # an unused one
    # Jobs: the owner's own, seen by them and by admins only.
    ("GET", "/api/v1/jobs"): Case(SIGNED_IN),
    ("GET", "/api/v1/jobs/{job_id}"): Case((401, 404, 404, 200, 200)),
    ("GET", "/api/v1/jobs/{job_id}/items"): Case((401, 404, 404, 200, 200)),
    ("POST", "/api/v1/jobs/{job_id}/cancel"): Case((401, 404, 404, 200, 200)),
    ("GET", "/api/v1/admin/jobs"): Case((401, 403, 403, 403, 200)),
    ("POST", "/api/v1/admin/jobs/{job_id}/retry"): Case((401, 403, 403, 403, 200)),  # failed
    # Imports start jobs for whoever is signed in.
    ("POST", "/api/v1/imports/url"): Case(
        (401, 202, 202, 202, 202), json=lambda s: {"url": "https://example.org/soup"}
    ),
    ("POST", "/api/v1/imports/bulk"): Case(
        (401, 202, 202, 202, 202), json=lambda s: {"urls": ["https://example.org/soup"]}
    ),
    ("POST", "/api/v1/imports/html"): Case(
        (401, 201, 201, 201, 201),
        json=lambda s: {
            "html": '{"@type": "Recipe", "name": "Soup", "recipeIngredient": ["1 leek"]}'
        },
    ),
    # Without a file: the identity is checked before the (missing) upload.
    ("POST", "/api/v1/imports/file"): Case(
        (401, 422, 422, 422, 422), form=lambda s: {"keep_partial": "true"}
    ),
    ("POST", "/api/v1/exports"): Case((401, 202, 202, 202, 202), json=lambda s: {}),
    # An export's file is its owner's alone (the row's job is not an export: 404 all round).
    ("GET", "/api/v1/exports/{export_id}/download"): Case((401, 404, 404, 404, 404)),
    # Backups: admins only (the named file does not exist: 404 once allowed in).
    ("POST", "/api/v1/admin/backups"): Case((401, 403, 403, 403, 202)),
    ("GET", "/api/v1/admin/backups"): Case((401, 403, 403, 403, 200)),
    ("GET", "/api/v1/admin/backups/{name}"): Case((401, 403, 403, 403, 404)),
    ("POST", "/api/v1/admin/backups/{name}/restore"): Case(
        (401, 403, 403, 403, 404), json=lambda s: {"confirm": "x.zip"}
    ),
    # Site administration.
    ("GET", "/api/v1/admin/users"): Case((401, 403, 403, 403, 200)),
    ("PATCH", "/api/v1/admin/users/{user_id}"): Case(
        (401, 403, 403, 403, 200), json=lambda s: {"role": "member"}
    ),
    ("POST", "/api/v1/admin/users/{user_id}/unlock"): Case((401, 403, 403, 403, 200)),
    ("GET", "/api/v1/admin/settings"): Case((401, 403, 403, 403, 200)),
    ("PUT", "/api/v1/admin/settings"): Case(
        (401, 403, 403, 403, 200), json=lambda s: {"registration_open": False}
    ),
    ("GET", "/api/v1/admin/audit"): Case((401, 403, 403, 403, 200)),
    # Pages. Visitors send no CSRF token here, so their form posts are refused (403) before
    # anything else; pages that need a signed-in person send visitors to the sign-in page
    # (303), as do successful form posts.
    # The planner: the viewer's own (personal) plan, or a household's for its members and
    # admins; nobody else learns the household exists.
    ("GET", "/planner"): Case(
        (303, 404, 200, 200, 200), query=lambda s: {"household": s.world.household.id}
    ),
    ("POST", "/planner/entries"): Case(
        MEMBERS_PAGE_POST,
        form=lambda s: {
            "household_id": s.world.household.id,
            "date": "2026-12-08",
            "slot_id": s.slot_id,
            "title": "Eating out",
        },
    ),
    ("POST", "/planner/entries/{entry_id}/move"): Case(
        MEMBERS_PAGE_POST, form=lambda s: {"date": "2026-12-09", "slot_id": s.slot_id}
    ),
    ("POST", "/planner/entries/{entry_id}/remove"): Case(MEMBERS_PAGE_POST),
    ("POST", "/planner/copy"): Case(
        MEMBERS_PAGE_POST,
        form=lambda s: {
            "household_id": s.world.household.id,
            "from_start": "2026-12-07",
            "from_end": "2026-12-13",
            "to_start": "2026-12-14",
        },
    ),
    ("POST", "/planner/templates"): Case(
        MEMBERS_PAGE_POST,
        form=lambda s: {
            "household_id": s.world.household.id,
            "name": "Another",
            "week_start": "2026-12-14",
        },
    ),
    ("POST", "/planner/templates/apply"): Case(
        MEMBERS_PAGE_POST,
        form=lambda s: {
            "household_id": s.world.household.id,
            "template_id": s.template_id,
            "week_start": "2026-12-21",
        },
    ),
    ("GET", "/planner/suggest"): Case(
        (303, 404, 200, 200, 200), query=lambda s: {"household": s.world.household.id}
    ),
    ("POST", "/planner/suggest"): Case(
        (403, 404, 200, 200, 200),
        form=lambda s: {
            "household_id": s.world.household.id,
            "start": "2026-12-14",
            "end": "2026-12-15",
            "slot_ids": [s.slot_id],
        },
    ),
    ("POST", "/planner/suggest/keep"): Case(
        MEMBERS_PAGE_POST,
        form=lambda s: {
            "household_id": s.world.household.id,
            "keep": [f"2026-12-15:{s.slot_id}:{s.recipe_id}"],
        },
    ),
    # As on the API: only members make a feed (it shows the plan as its maker sees it).
    ("POST", "/planner/calendar-feeds"): Case(
        (403, 404, 201, 201, 404), form=lambda s: {"household_id": s.world.household.id}
    ),
    ("POST", "/planner/calendar-feeds/{feed_id}/revoke"): Case(
        MEMBERS_PAGE_POST, form=lambda s: {"household_id": s.world.household.id}
    ),
    ("GET", "/planner/add"): Case(
        (303, 404, 200, 200, 200), query=lambda s: {"recipe": s.recipe_id}
    ),
    # Shopping list pages: a household's lists for its members and admins, as on the API.
    ("GET", "/shopping"): Case((303, 200, 200, 200, 200)),
    ("POST", "/shopping"): Case(
        MEMBERS_PAGE_POST, form=lambda s: {"household_id": s.world.household.id, "name": "Party"}
    ),
    ("GET", SHOP): Case((303, 404, 200, 200, 200)),
    ("POST", SHOP + "/rename"): Case(MEMBERS_PAGE_POST, form=lambda s: {"name": "Big shop"}),
    ("POST", SHOP + "/delete"): Case(MEMBERS_PAGE_POST),
    ("GET", SHOP + "/checked"): Case((303, 404, 200, 200, 200)),
    ("POST", SHOP + "/items"): Case(
        MEMBERS_PAGE_POST, form=lambda s: {"text": "2 onions", "op_id": "page-1"}
    ),
    ("GET", SHOP + "/items/{item_id}"): Case((303, 404, 200, 200, 200)),
    ("POST", SHOP + "/items/{item_id}"): Case(
        MEMBERS_PAGE_POST, form=lambda s: {"text": "2 kg flour", "op_id": "page-1"}
    ),
    ("POST", SHOP + "/items/{item_id}/check"): Case(
        MEMBERS_PAGE_POST, form=lambda s: {"checked": "true", "op_id": "page-1"}
    ),
    ("POST", SHOP + "/items/{item_id}/delete"): Case(
        MEMBERS_PAGE_POST, form=lambda s: {"op_id": "page-1"}
    ),
    ("POST", SHOP + "/clear-checked"): Case(MEMBERS_PAGE_POST, form=lambda s: {"op_id": "page-1"}),
    ("POST", SHOP + "/recipes"): Case(
        MEMBERS_PAGE_POST,
        form=lambda s: {"recipe_id": s.recipe_id, "servings": "4", "op_id": "page-1"},
    ),
    ("POST", SHOP + "/recipes/{recipe_id}/remove"): Case(
        MEMBERS_PAGE_POST, form=lambda s: {"op_id": "page-1"}
    ),
    ("POST", SHOP + "/meal-plan"): Case(
        MEMBERS_PAGE_POST,
        form=lambda s: {"start": "2026-12-07", "end": "2026-12-13", "op_id": "page-1"},
    ),
    ("POST", SHOP + "/offered"): Case(
        MEMBERS_PAGE_POST, form=lambda s: {"line": [f"{s.recipe_id}.0"], "op_id": "page-1"}
    ),
    ("GET", "/shopping/add"): Case(
        (303, 404, 200, 200, 200), query=lambda s: {"recipe": s.recipe_id}
    ),
    ("POST", "/shopping/add"): Case(
        MEMBERS_PAGE_POST,
        form=lambda s: {"list_id": s.list_id, "recipe_id": s.recipe_id, "op_id": "page-1"},
    ),
    ("GET", "/households"): Case((303, 200, 200, 200, 200)),
    ("POST", "/households"): Case((403, 303, 303, 303, 303), form=lambda s: {"name": "New"}),
    ("GET", "/households/join"): Case((303, 200, 200, 200, 200)),
    # Members already in the household are taken to it, as newcomers are after joining.
    ("POST", "/households/join"): Case(
        (403, 303, 303, 303, 303), form=lambda s: {"code": s.invite_code}
    ),
    ("GET", HH_PAGE): Case((303, 404, 200, 200, 200)),
    ("POST", HH_PAGE + "/rename"): Case(
        (403, 404, 403, 303, 303), form=lambda s: {"name": "Renamed"}
    ),
    ("POST", HH_PAGE + "/invites"): Case((403, 404, 403, 201, 201), form=lambda s: {}),
    ("POST", HH_PAGE + "/invites/{invite_id}/revoke"): Case((403, 404, 403, 303, 303)),
    ("POST", HH_PAGE + "/transfer"): Case(
        (403, 404, 403, 303, 303), form=lambda s: {"user_id": s.world.member.id}
    ),
    ("GET", HH_PAGE + "/members/{user_id}/remove"): Case((303, 404, 403, 200, 200)),
    ("POST", HH_PAGE + "/members/{user_id}/remove"): Case((403, 404, 403, 303, 303)),
    # Only members leave: the owner must hand over first (400, the refusal on the page), and
    # an admin who is not a member has nothing to leave.
    ("GET", HH_PAGE + "/leave"): Case((303, 404, 200, 200, 404)),
    ("POST", HH_PAGE + "/leave"): Case((403, 404, 303, 400, 404)),
    ("GET", "/admin"): Case((303, 403, 403, 403, 200)),
    ("POST", "/admin/registration"): Case(
        (403, 403, 403, 403, 303), form=lambda s: {"registration_open": "false"}
    ),
    ("GET", "/admin/users"): Case((303, 403, 403, 403, 200)),
    ("POST", "/admin/users/{user_id}/role"): Case(
        (403, 403, 403, 403, 303), form=lambda s: {"role": "member"}
    ),
    ("POST", "/admin/users/{user_id}/active"): Case(
        (403, 403, 403, 403, 303), form=lambda s: {"is_active": "false"}
    ),
    ("POST", "/admin/users/{user_id}/unlock"): Case((403, 403, 403, 403, 303)),
    ("GET", "/admin/audit"): Case((303, 403, 403, 403, 200)),
    ("GET", "/login"): Case((200, 303, 303, 303, 303)),
    ("POST", "/login"): Case(
        (403, 303, 303, 303, 303),
        form=lambda s: {"email": s.world.owner.email, "password": PASSWORD},
    ),
    ("POST", "/logout"): Case((403, 303, 303, 303, 303)),
    ("GET", "/register"): Case((200, 303, 303, 303, 303)),
    ("POST", "/register"): Case(
        (403, 303, 303, 303, 303),
        form=lambda s: {"email": "fresh@example.org", "password": PASSWORD, "display_name": "F"},
    ),
    ("GET", "/forgot-password"): Case(same(200)),
    ("POST", "/forgot-password"): Case(
        (403, 303, 303, 303, 303), form=lambda s: {"email": s.world.owner.email}
    ),
    ("GET", "/reset-password"): Case(same(200), params={"token": "from-the-mail"}),
    ("POST", "/reset-password"): Case(
        (403, 400, 400, 400, 400), form=lambda s: {"token": "nope", "new_password": "x" * 12}
    ),
    ("GET", "/verify-email"): Case(same(200), params={"token": "from-the-mail"}),
    ("POST", "/verify-email"): Case((403, 400, 400, 400, 400), form=lambda s: {"token": "nope"}),
    ("GET", "/account"): Case((303, 200, 200, 200, 200)),
    ("POST", "/account/profile"): Case(
        (403, 303, 303, 303, 303), form=lambda s: {"display_name": "R", "unit_system": "us"}
    ),
    ("POST", "/account/password"): Case(
        (403, 303, 303, 303, 303),
        form=lambda s: {"current_password": PASSWORD, "new_password": "another fine passphrase"},
    ),
    ("POST", "/account/tokens"): Case((403, 201, 201, 201, 201), form=lambda s: {"name": "t"}),
    # The owner's token, as on the API: nobody else can see that it exists.
    ("POST", "/account/tokens/{token_id}/delete"): Case((403, 404, 404, 303, 404)),
    ("POST", "/account/verify-email"): Case((403, 303, 303, 303, 303)),
    # Recipe pages, about the same shared recipe as the API rows (a trashed one for restore).
    ("GET", "/recipes"): Case(same(200)),
    ("GET", PAGE): Case((404, 404, 200, 200, 200)),
    ("GET", PAGE + "/cook"): Case((404, 404, 200, 200, 200)),
    ("GET", "/recipes/new"): Case((303, 200, 200, 200, 200)),
    ("POST", "/recipes/new"): Case((403, 303, 303, 303, 303), form=lambda s: {"title": "X"}),
    ("GET", PAGE + "/edit"): Case((303, 404, 403, 200, 200)),
    ("POST", PAGE + "/edit"): Case(
        (403, 404, 403, 303, 303), form=lambda s: {"title": "Renamed", "visibility": "household"}
    ),
    ("GET", PAGE + "/revisions"): Case((303, 404, 403, 200, 200)),
    ("POST", PAGE + "/revisions/{number}/restore"): Case((403, 404, 403, 303, 303)),
    ("GET", PAGE + "/delete"): Case((303, 404, 403, 200, 200)),
    ("POST", PAGE + "/delete"): Case((403, 404, 403, 303, 303)),
    ("GET", "/recipes/trash"): Case((303, 200, 200, 200, 200)),
    ("POST", PAGE + "/restore"): Case((403, 404, 403, 303, 303)),  # a trashed one
    # Import, job and export pages.
    ("GET", "/import"): Case((303, 200, 200, 200, 200)),
    ("POST", "/import/url"): Case(
        (403, 303, 303, 303, 303), form=lambda s: {"url": "https://example.org/soup"}
    ),
    ("POST", "/import/paste"): Case(
        (403, 303, 303, 303, 303),
        form=lambda s: {
            "html": '{"@type": "Recipe", "name": "Soup", "recipeIngredient": ["1 leek"]}'
        },
    ),
    ("POST", "/import/bulk"): Case(
        (403, 303, 303, 303, 303), form=lambda s: {"urls": "https://example.org/soup"}
    ),
    # Without a file the form comes back (400) asking for one.
    ("POST", "/import/file"): Case(
        (403, 400, 400, 400, 400), form=lambda s: {"keep_partial": "true"}
    ),
    ("GET", "/jobs"): Case((303, 200, 200, 200, 200)),
    ("GET", "/jobs/{job_id}"): Case((303, 404, 404, 200, 200)),
    ("GET", "/jobs/{job_id}/progress"): Case((303, 404, 404, 200, 200)),
    ("POST", "/jobs/{job_id}/cancel"): Case((403, 404, 404, 303, 303)),
    ("GET", "/exports"): Case((303, 200, 200, 200, 200)),
    ("POST", "/exports"): Case((403, 303, 303, 303, 303), form=lambda s: {"format": "zip"}),
    ("GET", "/admin/jobs"): Case((303, 403, 403, 403, 200)),
    ("POST", "/admin/jobs/{job_id}/retry"): Case((403, 403, 403, 403, 303)),  # failed
    ("POST", "/admin/jobs/{job_id}/cancel"): Case((403, 403, 403, 403, 303)),
    ("GET", "/admin/backups"): Case((303, 403, 403, 403, 200)),
    ("POST", "/admin/backups"): Case((403, 403, 403, 403, 303)),
    # No such backup: the admin is sent back to the list with the reason.
    ("POST", "/admin/backups/{name}/restore"): Case(
        (403, 403, 403, 403, 303), form=lambda s: {"confirm": "x.zip"}
    ),
}


def _household(s: Setup) -> dict[str, str]:
    return {"household_id": str(s.world.household.id)}


def _week(s: Setup) -> dict[str, str]:
    return {**_household(s), "start": "2026-12-07", "end": "2026-12-13"}


def registered_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every endpoint, through included routers; mounts (static files)
    have no methods and serve only public files."""
    found = set()
    for route in iter_route_contexts(app.routes):
        for method in route.methods or ():
            if method != "HEAD" and route.path is not None:
                # As documented: `{recipe_id}`, not the route's `{recipe_id:int}`.
                found.add((method, route.path.replace(":int}", "}")))
    return found


def test_every_route_is_in_the_matrix(app: FastAPI) -> None:
    routes = registered_routes(app)
    assert routes - MATRIX.keys() == set(), "add these routes to MATRIX"
    assert MATRIX.keys() - routes == set(), "these MATRIX rows name no route"


async def _setup(session: AsyncSession, settings: Settings) -> Setup:
    world = await make_world(session, settings)
    issued = tokens.issue_tokens(session, user=world.outsider, settings=settings)
    api_token, _ = await tokens.create_api_token(
        session, user=world.owner, data=ApiTokenCreate(name="owner's"), ip=None
    )
    invite, code = await households.create_invite(
        session,
        actor=await actor_for(session, world.owner),
        household_id=world.household.id,
        lifetime=timedelta(days=1),
        ip=None,
    )
    owner = await actor_for(session, world.owner)
    shared = RecipeCreate(
        title="Shared soup",
        visibility=Visibility.HOUSEHOLD,
        household_id=world.household.id,
        tags=["soup", "stew"],
        ingredients=[IngredientIn(text="salt, to taste")],
    )
    recipe = await recipes.create_recipe(session, actor=owner, data=shared)
    await recipes.update_recipe(
        session,
        actor=owner,
        recipe_id=recipe.id,
        data=RecipeUpdate(servings=Decimal(2)),
        partial=True,
        if_match=None,
    )
    trashed = await recipes.create_recipe(session, actor=owner, data=shared)
    await recipes.trash_recipe(session, actor=owner, recipe_id=trashed.id, if_match=None, ip=None)
    tags = await resolve_terms(session, Tag, world.household.id, ["soup", "stew", "unused"])
    queue = RecordingQueue()
    job = await jobs.create_job(
        session, queue=queue, kind="import_url", owner_id=world.owner.id, payload={}
    )
    failed = await jobs.create_job(
        session, queue=queue, kind="import_url", owner_id=world.owner.id, payload={}
    )
    failed.status = JobStatus.FAILED
    image = RecipeImage(
        recipe_id=recipe.id,
        position=0,
        status=ImageStatus.READY,
        original_key=f"recipes/{recipe.id}/1/original.png",
        content_type="image/png",
        width=1,
        height=1,
        variants=[],
        token=new_token(),
    )
    session.add(image)
    feed, feed_token = await calendar_feeds.create_feed(
        session, actor=owner, household_id=world.household.id, ip=None
    )
    await session.flush()
    plan = await _plan(session, owner, world.household.id, recipe.id)
    return Setup(
        world=world,
        refresh_token=issued.refresh_token,
        token_id=api_token.id,
        invite_id=invite.id,
        invite_code=code,
        recipe_id=recipe.id,
        trashed_recipe_id=trashed.id,
        recipe_slug=recipe.slug,
        trashed_slug=trashed.slug,
        term_id=tags[0].id,
        other_term_id=tags[1].id,
        unused_term_id=tags[2].id,
        job_id=job.id,
        failed_job_id=failed.id,
        image_id=image.id,
        **plan,
        feed_id=feed.id,
        feed_token=feed_token,
        **await _shopping(session, owner, world.household.id, recipe.id),
    )


async def _shopping(
    session: AsyncSession, owner: Actor, household_id: int, recipe_id: int
) -> dict[str, int]:
    """A list of the household with an item on it, the recipe and the planned week (whose
    entry plans the recipe) put on it, and a store."""
    shopping_list = await shopping.create_list(
        session, actor=owner, household_id=household_id, name="Weekly"
    )
    done = await shopping.add_item(
        session,
        actor=owner,
        list_id=shopping_list.id,
        text="1 kg flour",
        note=None,
        aisle=None,
        op_id=None,
    )
    assert done.item is not None
    await shopping_additions.add_recipe(
        session,
        actor=owner,
        list_id=shopping_list.id,
        recipe_id=recipe_id,
        servings=None,
        include=(),
        op_id=None,
    )
    await shopping_additions.add_plan(
        session,
        actor=owner,
        list_id=shopping_list.id,
        start=date(2026, 12, 7),
        end_date=date(2026, 12, 13),
        op_id=None,
    )
    store = await shopping_stores.add_store(
        session, actor=owner, household_id=household_id, name="Corner shop", aisles=["Produce"]
    )
    return {"list_id": shopping_list.id, "item_id": done.item.id, "store_id": store.id}


async def _plan(
    session: AsyncSession, owner: Actor, household_id: int, recipe_id: int
) -> dict[str, int]:
    """A week's plan with a dinner, an unused slot, that week as a template, and a rotation."""
    slots = await planner.add_meal_slot(
        session, actor=owner, household_id=household_id, name="Tea", time=None, position=None
    )
    dinner = (await planner.list_meal_slots(session, actor=owner, household_id=household_id))[2]
    entry = await planner.add_plan_entry(
        session,
        actor=owner,
        data=MealPlanEntryCreate(
            household_id=household_id,
            date=date(2026, 12, 7),
            slot_id=dinner.id,
            recipe_id=recipe_id,
        ),
    )
    template = await plan_templates.save_week_as_template(
        session, actor=owner, household_id=household_id, name="Usual", week_start=date(2026, 12, 7)
    )
    rotation = await plan_templates.start_rotation(
        session,
        actor=owner,
        household_id=household_id,
        template_id=template.template.id,
        start_date=date(2026, 12, 7),
        every_weeks=1,
        end_date=None,
    )
    return {
        "slot_id": dinner.id,
        "free_slot_id": slots.id,
        "entry_id": entry.entry.id,
        "template_id": template.template.id,
        "rotation_id": rotation.id,
    }


async def _signed_in(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, user: User
) -> dict[str, str]:
    """Sign ``user`` in with a browser session; the headers an unsafe call then sends."""
    opened = await browser_sessions.open_session(
        session, user=user, settings=settings, ip=None, user_agent=None
    )
    await session.flush()
    client.cookies.set(settings.session_cookie_name, opened.cookie_value)
    return {"X-CSRF-Token": opened.record.csrf_token}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path"), sorted(MATRIX), ids=lambda v: str(v))
async def test_route_answers_each_role(
    method: str,
    path: str,
    role: str,
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
) -> None:
    case = MATRIX[(method, path)]
    setup = await _setup(session, settings)
    headers: dict[str, str] = {}
    if role != "visitor":
        headers = await _signed_in(client, session, settings, setup.world.all()[role])
    trashed = path in (RECIPE + "/restore", PAGE + "/restore")
    unused = method == "DELETE" and path == TERM
    url = path.replace("{address:path}", "{address}").format(
        address=f"{'0' * 32}/320.webp",
        image_id=setup.image_id,
        slot_id=setup.free_slot_id if method == "DELETE" else setup.slot_id,
        entry_id=setup.entry_id,
        template_id=setup.template_id,
        rotation_id=setup.rotation_id,
        household_id=setup.world.household.id,
        token_id=setup.token_id,
        invite_id=setup.invite_id,
        number=1,
        job_id=setup.failed_job_id if path.endswith("/retry") else setup.job_id,
        export_id=setup.job_id,
        feed_id=setup.feed_id,
        token=setup.feed_token,
        list_id=setup.list_id,
        item_id=setup.item_id,
        store_id=setup.store_id,
        name="recipevault-backup-20000101-000000.zip",
        kind="tags",
        term_id=setup.unused_term_id if unused else setup.term_id,
        recipe_id=setup.trashed_recipe_id if trashed else setup.recipe_id,
        slug=setup.trashed_slug if trashed else setup.recipe_slug,
        user_id=setup.world.outsider.id
        if path.startswith("/api/v1/admin")
        else setup.world.member.id,
    )
    response = await client.request(
        method,
        url,
        headers=headers,
        params=case.query(setup) if case.query else case.params,
        json=case.json(setup) if case.json else None,
        data=case.form(setup) if case.form else None,
    )
    expected = case.expect[ROLES.index(role)]
    assert response.status_code == expected, f"{method} {path} as {role}: {response.text[:300]}"


# Read-only personal API tokens (the `read` scope): whatever only reads, POSTs that only read
# (declared with routing.reads_only) and the history of what the person may change included;
# nothing that writes, whoever holds the token. Signed-in roles: outsider, member, owner, admin.
READ_ONLY = 403
READ_TOKEN_MATRIX: dict[tuple[str, str], tuple[int, int, int, int]] = {
    ("GET", RECIPE): (404, 200, 200, 200),
    ("POST", "/api/v1/recipes/cook-with"): (200, 200, 200, 200),
    ("POST", "/api/v1/meal-plan/suggest"): (404, 200, 200, 200),
    ("GET", RECIPE + "/revisions"): (404, 403, 200, 200),
    ("GET", RECIPE + "/revisions/{number}"): (404, 403, 200, 200),
    ("POST", RECIPE + "/revisions/{number}/restore"): (READ_ONLY,) * 4,
    ("PATCH", RECIPE): (READ_ONLY,) * 4,
    ("POST", "/api/v1/recipes"): (READ_ONLY,) * 4,
    ("POST", "/api/v1/households"): (READ_ONLY,) * 4,
    ("POST", PLAN): (READ_ONLY,) * 4,
    ("POST", PLAN + "/copy"): (READ_ONLY,) * 4,
}


@pytest.mark.parametrize("role", ROLES[1:])
@pytest.mark.parametrize(("method", "path"), sorted(READ_TOKEN_MATRIX), ids=lambda v: str(v))
async def test_route_answers_each_roles_read_only_token(
    method: str,
    path: str,
    role: str,
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
) -> None:
    setup = await _setup(session, settings)
    user = setup.world.all()[role]
    _, secret = await tokens.create_api_token(
        session, user=user, data=ApiTokenCreate(name="reader", scopes=["read"]), ip=None
    )
    await session.flush()
    body = MATRIX[(method, path)].json
    response = await client.request(
        method,
        path.format(recipe_id=setup.recipe_id, number=1),
        headers={"Authorization": f"Bearer {secret}"},
        json=body(setup) if body else None,
    )
    expected = READ_TOKEN_MATRIX[(method, path)][ROLES.index(role) - 1]
    assert response.status_code == expected, f"{method} {path} as {role}: {response.text[:300]}"
    scope_refusal = "may only read" in response.text
    assert scope_refusal is (expected == READ_ONLY and method != "GET"), response.text


# A tag that only the owner's private recipe (in the shared household) uses: it exists for its
# owner and for admins; to everyone else, members of that household included, it is "not
# found" (and not listed), so its name, its use and its count stay private.
PRIVATE_TERM: dict[tuple[str, str], tuple[int, int, int, int, int]] = {
    ("GET", "/api/v1/vocabularies/{kind}"): (401, 404, 200, 200, 200),
    ("PATCH", TERM): (401, 404, 404, 200, 200),
    ("POST", TERM + "/merge"): (401, 404, 404, 200, 200),
    ("DELETE", TERM): (401, 404, 404, 409, 409),
}
PRIVATE_TERM_LISTED = (False, False, False, True, True)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path"), sorted(PRIVATE_TERM), ids=lambda v: str(v))
async def test_a_term_of_a_private_recipe_answers_each_role(
    method: str,
    path: str,
    role: str,
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
) -> None:
    setup = await _setup(session, settings)
    owner = await actor_for(session, setup.world.owner)
    private = RecipeCreate(
        title="Anniversary dinner",
        visibility=Visibility.PRIVATE,
        household_id=setup.world.household.id,
        tags=["Surprise for Milo"],
    )
    await recipes.create_recipe(session, actor=owner, data=private)
    (tag,) = await resolve_terms(session, Tag, setup.world.household.id, ["Surprise for Milo"])
    headers: dict[str, str] = {}
    if role != "visitor":
        headers = await _signed_in(client, session, settings, setup.world.all()[role])
    url = path.format(kind="tags", term_id=tag.id)
    body = {"PATCH": {"name": "Renamed"}, "POST": {"into": setup.other_term_id}}.get(method)
    params = {"household_id": str(setup.world.household.id)} if method == "GET" else {}
    response = await client.request(method, url, headers=headers, json=body, params=params)
    expected = PRIVATE_TERM[(method, path)][ROLES.index(role)]
    assert response.status_code == expected, f"{method} {path} as {role}: {response.text[:300]}"
    if method == "GET" and response.status_code == 200:
        listed = tag.id in {term["id"] for term in response.json()}
        assert listed is PRIVATE_TERM_LISTED[ROLES.index(role)]
