"""Calendar feeds: /api/v1/households/{id}/calendar-feeds to manage them, and the feed itself
at /calendar/{token}.ics for calendar apps."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from recipevault.clock import utcnow
from recipevault.deps import ClientDep, CurrentUser, SessionDep, SiteUrlDep
from recipevault.http.routing import etag_matches
from recipevault.http.schemas import Id
from recipevault.planner.calendar import service
from recipevault.planner.calendar.schemas import CalendarFeedCreated, CalendarFeedRead

router = APIRouter(prefix="/api/v1/households", tags=["meal plan"])
feed_router = APIRouter(tags=["meal plan"])

CALENDAR_CONTENT_TYPE = "text/calendar; charset=utf-8"
# Only the subscriber's own calendar app keeps a copy, and it asks again each time.
CACHE_CONTROL = "private, no-cache"


@router.post(
    "/{household_id:int}/calendar-feeds",
    status_code=status.HTTP_201_CREATED,
    response_model=CalendarFeedCreated,
    responses={404: {}},
)
async def create_calendar_feed(
    household_id: Id,
    actor: CurrentUser,
    session: SessionDep,
    site_url: SiteUrlDep,
    client: ClientDep,
) -> CalendarFeedCreated:
    """A secret address at which a calendar app reads the household's plan, as you see it.
    The address is shown this once; revoke the feed to retire it."""
    feed, token = await service.create_feed(
        session, actor=actor, household_id=household_id, ip=client.ip
    )
    return CalendarFeedCreated(
        **CalendarFeedRead.model_validate(feed).model_dump(),
        url=service.feed_url(site_url, token),
    )


@router.get(
    "/{household_id:int}/calendar-feeds",
    response_model=list[CalendarFeedRead],
    responses={404: {}},
)
async def list_calendar_feeds(
    household_id: Id, actor: CurrentUser, session: SessionDep
) -> list[CalendarFeedRead]:
    """The household's feeds that work (their addresses are not kept, so not shown)."""
    feeds = await service.list_feeds(session, actor=actor, household_id=household_id)
    return [CalendarFeedRead.model_validate(feed) for feed in feeds]


@router.delete(
    "/{household_id:int}/calendar-feeds/{feed_id:int}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={404: {}},
)
async def revoke_calendar_feed(
    household_id: Id, feed_id: Id, actor: CurrentUser, session: SessionDep, client: ClientDep
) -> None:
    """Revoke a feed: its address answers 404 from now on."""
    await service.revoke_feed(
        session, actor=actor, household_id=household_id, feed_id=feed_id, ip=client.ip
    )


@feed_router.get(
    service.FEED_PATH + "{token}" + service.FEED_SUFFIX,
    response_class=Response,
    responses={
        200: {"content": {"text/calendar": {}}, "description": "The plan, in iCalendar"},
        304: {"description": "Not modified since the entity tag sent in If-None-Match"},
        404: {},
    },
)
async def calendar_feed(
    token: str, request: Request, session: SessionDep, site_url: SiteUrlDep
) -> Response:
    """The household's plan from four weeks back to 26 weeks ahead, for calendar apps to
    subscribe to. The address is the credential: no sign-in."""
    content = await service.feed_content(
        session, token=token, site_url=site_url, today=utcnow().date()
    )
    headers = {"ETag": content.etag, "Cache-Control": CACHE_CONTROL}
    if etag_matches(request.headers.get("if-none-match"), content.etag):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    return Response(await content.document(), media_type=CALENDAR_CONTENT_TYPE, headers=headers)
