"""The meal plan as an iCalendar document (RFC 5545). Pure: no database, no clock.

Times are floating (no time zone): a meal at 19:00 is at 19:00 wherever the calendar is read,
which is what a household means by "dinner at seven" (the site keeps no time zone per
household). A meal in a slot with a time lasts ``MEAL_DURATION`` and, when the entry spans
several days, repeats daily over them; one in a slot without a time is an all-day event over
its days.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from icalendar import Calendar, Event

PRODUCT_ID = "-//RecipeVault//Meal plan//EN"
MEAL_DURATION = dt.timedelta(hours=1)
# How often calendar apps that honour the hint should read the feed again.
REFRESH_INTERVAL = dt.timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class MealEvent:
    """One planned entry, as a calendar shows it."""

    uid: str
    summary: str
    first_day: dt.date
    last_day: dt.date
    time: dt.time | None
    sequence: int
    created: dt.datetime
    modified: dt.datetime
    description: str
    url: str | None = None
    category: str | None = None

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1


def _event(meal: MealEvent) -> Event:
    event = Event()
    event.add("uid", meal.uid)
    event.add("dtstamp", meal.modified)
    event.add("created", meal.created)
    event.add("last-modified", meal.modified)
    event.add("sequence", meal.sequence)
    event.add("summary", meal.summary)
    if meal.time is None:
        event.add("dtstart", meal.first_day)
        event.add("dtend", meal.last_day + dt.timedelta(days=1))
    else:
        event.add("dtstart", dt.datetime.combine(meal.first_day, meal.time))
        event.add("duration", MEAL_DURATION)
        if meal.days > 1:
            event.add("rrule", {"freq": "daily", "count": meal.days})
    if meal.description:
        event.add("description", meal.description)
    if meal.url is not None:
        event.add("url", meal.url)
    if meal.category is not None:
        event.add("categories", [meal.category])
    event.add("transp", "TRANSPARENT")  # a meal does not make anyone busy
    return event


def calendar_document(name: str, meals: Sequence[MealEvent]) -> bytes:
    """The feed's bytes: a published calendar named ``name`` holding ``meals`` in order."""
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    calendar.add("refresh-interval", REFRESH_INTERVAL, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", REFRESH_INTERVAL)
    for meal in meals:
        calendar.add_component(_event(meal))
    return bytes(calendar.to_ical())
