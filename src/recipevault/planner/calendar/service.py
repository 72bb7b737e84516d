"""Calendar feeds: made, listed and revoked by a household's members, read by calendar apps.

A feed's address holds a fresh 256-bit secret; only its SHA-256 digest is stored (as for API
tokens), so the address is shown once, and a guess is looked up by its digest: there is nothing
to brute-force and no partial match to time. A feed has no signed-in viewer: it shows the plan
as the member who made it sees it, while they are an active member of the household; once they
leave (or their account is closed) it answers "not found", like a revoked one. A planned recipe
they can no longer read shows as no longer available, without its title or link.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode, urlsplit

import anyio.to_thread
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.accounts.auth import actor_for_job
from recipevault.accounts.credentials import hash_secret
from recipevault.audit import service as audit
from recipevault.clock import utcnow
from recipevault.errors import NotFound
from recipevault.households import service as households
from recipevault.http.signing import new_secret
from recipevault.planner.calendar.ics import MealEvent, calendar_document
from recipevault.planner.models import CalendarFeed, MealPlanEntry, MealSlot
from recipevault.policy import Actor
from recipevault.recipes.page_text import plain_number
from recipevault.recipes.references import RecipeReference, readable_references

FEED_PATH = "/calendar/"
FEED_SUFFIX = ".ics"
TOKEN_PREFIX = "rvc_"  # noqa: S105 (a label, not a secret)
# What new_secret makes after the prefix: 32 random bytes, URL-safe base64 without padding.
_TOKEN = re.compile(rf"{TOKEN_PREFIX}[A-Za-z0-9_-]{{43}}")
# The feed holds what was planned four weeks back and what is planned half a year ahead.
WEEKS_BEFORE = 4
WEEKS_AFTER = 26
UNAVAILABLE = "No longer available"
LEFTOVERS = "Leftovers"
SUMMARY_LENGTH = 80


class FeedNotFound(NotFound):
    title = "Calendar feed not found"


@dataclass(frozen=True, slots=True)
class FeedContent:
    """What a feed shows now, and its entity tag: known before the document is made, so a
    calendar app whose copy is current is answered without making it."""

    name: str
    meals: tuple[MealEvent, ...]
    etag: str

    async def document(self) -> bytes:
        # icalendar takes a millisecond or two per event: off the event loop.
        return await anyio.to_thread.run_sync(calendar_document, self.name, self.meals)


def feed_url(site_url: str, token: str) -> str:
    return f"{site_url}{FEED_PATH}{token}{FEED_SUFFIX}"


async def _household_for_management(session: AsyncSession, actor: Actor, household_id: int) -> None:
    """Members manage their household's feeds; admins may list and revoke any household's."""
    if actor.in_household(household_id):
        return
    if not (actor.is_admin and await households.household_exists(session, household_id)):
        raise households.HouseholdNotFound()


async def create_feed(
    session: AsyncSession, *, actor: Actor, household_id: int, ip: str | None
) -> tuple[CalendarFeed, str]:
    """A new feed and its token (which is not kept). Only members make feeds: a feed shows
    the plan as its maker sees it, so an admin from outside would make one that never works."""
    if not actor.in_household(household_id):
        raise households.HouseholdNotFound()
    token = new_secret(TOKEN_PREFIX)
    feed = CalendarFeed(
        household_id=household_id, token_hash=hash_secret(token), created_by_id=actor.user_id
    )
    session.add(feed)
    await session.flush()
    _record(session, "calendar_feed.created", actor, feed)
    return feed, token


async def list_feeds(
    session: AsyncSession, *, actor: Actor, household_id: int
) -> list[CalendarFeed]:
    """The household's feeds that still work, oldest first (their tokens are not kept)."""
    await _household_for_management(session, actor, household_id)
    found = await session.scalars(
        select(CalendarFeed)
        .where(CalendarFeed.household_id == household_id, CalendarFeed.revoked_at.is_(None))
        .order_by(CalendarFeed.id)
    )
    return list(found.all())


async def revoke_feed(
    session: AsyncSession, *, actor: Actor, household_id: int, feed_id: int, ip: str | None
) -> None:
    """From now on the feed's address answers "not found"."""
    await _household_for_management(session, actor, household_id)
    feed = await session.get(CalendarFeed, feed_id)
    if feed is None or feed.household_id != household_id or feed.revoked_at is not None:
        raise FeedNotFound()
    feed.revoked_at = utcnow()
    _record(session, "calendar_feed.revoked", actor, feed, ip=ip)


def _record(
    session: AsyncSession, action: str, actor: Actor, feed: CalendarFeed, *, ip: str | None = None
) -> None:
    audit.record(
        session,
        action=action,
        actor_id=actor.user_id,
        ip=ip,
        target_type="calendar_feed",
        target_id=feed.id,
        details={"household_id": feed.household_id},
    )


def feed_window(today: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day a feed covers: entries that touch them are in it."""
    return today - dt.timedelta(weeks=WEEKS_BEFORE), today + dt.timedelta(weeks=WEEKS_AFTER)


async def _feed_and_viewer(session: AsyncSession, token: str) -> tuple[CalendarFeed, Actor]:
    if _TOKEN.fullmatch(token) is None:
        raise FeedNotFound()
    feed = await session.scalar(
        select(CalendarFeed).where(
            CalendarFeed.token_hash == hash_secret(token), CalendarFeed.revoked_at.is_(None)
        )
    )
    if feed is None or feed.created_by_id is None:
        raise FeedNotFound()
    viewer = await actor_for_job(session, feed.created_by_id)
    if viewer is None or not viewer.in_household(feed.household_id):
        raise FeedNotFound()
    return feed, viewer


async def _planned(
    session: AsyncSession, viewer: Actor, household_id: int, first: dt.date, last: dt.date
) -> list[tuple[MealPlanEntry, str, dt.time | None, RecipeReference | None]]:
    """The entries touching the window, in the order a day shows them, each with its slot and
    its recipe as far as ``viewer`` may read it (None when they may not, or when it is in the
    trash): two queries."""
    statement = (
        select(MealPlanEntry, MealSlot.name, MealSlot.time)
        .join(MealSlot, MealSlot.id == MealPlanEntry.slot_id)
        .where(
            MealPlanEntry.household_id == household_id,
            MealPlanEntry.date <= last,
            MealPlanEntry.end_date >= first,
        )
        .order_by(MealPlanEntry.date, MealSlot.position, MealPlanEntry.id)
    )
    rows = (await session.execute(statement)).all()
    readable = await readable_references(
        session,
        viewer=viewer,
        recipe_ids=(entry.recipe_id for entry, _, _ in rows if entry.recipe_id is not None),
    )
    return [
        (entry, slot_name, slot_time, readable.get(entry.recipe_id) if entry.recipe_id else None)
        for entry, slot_name, slot_time in rows
    ]


def _servings_line(servings: Decimal | None) -> str | None:
    return None if servings is None else f"Servings: {plain_number(servings)}"


def _first_line(text: str | None) -> str | None:
    """A note's first line, short enough for a calendar's title."""
    line = (text or "").strip().split("\n", 1)[0].strip()
    return line[:SUMMARY_LENGTH] or None


def _meal(
    entry: MealPlanEntry,
    slot_name: str,
    slot_time: dt.time | None,
    recipe: RecipeReference | None,
    *,
    site_url: str,
    host: str,
) -> MealEvent:
    servings = entry.servings
    url = None
    if recipe is not None:
        summary = recipe.title
        if servings is None:
            servings = recipe.servings
        query = f"?{urlencode({'servings': plain_number(servings)})}" if servings else ""
        url = f"{site_url}/recipes/{recipe.slug}{query}"
    elif entry.recipe_id is not None:
        # Planned, but no longer readable by the feed's viewer (or in the trash): nothing of
        # the recipe shows, not even its servings; the entry's own servings and note do.
        summary = UNAVAILABLE
    else:
        summary = (
            entry.title
            or (LEFTOVERS if entry.leftovers_of_id else None)
            or _first_line(entry.note)
            or slot_name
        )
    lines = [line for line in (url, _servings_line(servings), entry.note) if line]
    return MealEvent(
        uid=f"entry-{entry.id}@{host}",
        summary=summary,
        first_day=entry.date,
        last_day=entry.end_date,
        time=slot_time,
        sequence=entry.sequence,
        created=entry.created_at,
        modified=entry.updated_at,
        description="\n\n".join(lines),
        url=url,
        category=slot_name,
    )


async def feed_content(
    session: AsyncSession, *, token: str, site_url: str, today: dt.date
) -> FeedContent:
    """The feed at ``token``, as its maker sees the plan now."""
    feed, viewer = await _feed_and_viewer(session, token)
    household = await households.membership(session, actor=viewer, household_id=feed.household_id)
    first, last = feed_window(today)
    rows = await _planned(session, viewer, feed.household_id, first, last)
    host = urlsplit(site_url).hostname or "recipevault"
    meals = tuple(_meal(*row, site_url=site_url, host=host) for row in rows)
    name = f"{household.household.name}: meal plan"
    # A digest of everything the document is made from (it is a pure function of them): a
    # slot's new name or time, a recipe's new title, or a recipe the maker may no longer read
    # change the feed without changing any entry, and the window moves every day.
    digest = hashlib.blake2b(repr((name, meals)).encode(), digest_size=16).hexdigest()
    return FeedContent(name=name, meals=meals, etag=f'"{feed.id}-{digest}"')
