"""The iCalendar builder: what calendar apps read, parsed back with the icalendar package."""

from __future__ import annotations

import datetime as dt

from icalendar import Calendar, Event

from recipevault.planner.calendar.ics import MEAL_DURATION, MealEvent, calendar_document
from tests.planner.calendar.parsing import recurrence

STAMP = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)
MONDAY = dt.date(2026, 12, 7)


def _meal(**changes: object) -> MealEvent:
    values: dict[str, object] = {
        "uid": "entry-1@example.org",
        "summary": "Lentil soup",
        "first_day": MONDAY,
        "last_day": MONDAY,
        "time": dt.time(19, 0),
        "sequence": 3,
        "created": STAMP - dt.timedelta(days=1),
        "modified": STAMP,
        "description": "Servings: 4",
        "url": "https://example.org/recipes/lentil-soup?servings=4",
        "category": "Dinner",
    }
    values.update(changes)
    return MealEvent(**values)  # type: ignore[arg-type]


def _events(*meals: MealEvent) -> list[Event]:
    return Calendar.from_ical(calendar_document("The Flat: meal plan", meals)).events


def test_the_calendar_names_itself_and_what_made_it() -> None:
    calendar = Calendar.from_ical(calendar_document("The Flat: meal plan", []))
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["PRODID"]) == "-//RecipeVault//Meal plan//EN"
    assert str(calendar["X-WR-CALNAME"]) == "The Flat: meal plan"
    assert calendar.events == []


def test_a_timed_meal_starts_at_its_floating_local_time() -> None:
    (event,) = _events(_meal())
    start = event.decoded("DTSTART")
    assert start == dt.datetime(2026, 12, 7, 19, 0)
    assert start.tzinfo is None  # floating: 19:00 wherever the calendar is read
    assert event.decoded("DURATION") == MEAL_DURATION
    assert "RRULE" not in event
    assert str(event["UID"]) == "entry-1@example.org"
    assert event.decoded("SEQUENCE") == 3
    assert event.decoded("DTSTAMP") == STAMP
    assert event.decoded("LAST-MODIFIED") == STAMP
    assert str(event["SUMMARY"]) == "Lentil soup"
    assert str(event["URL"]) == "https://example.org/recipes/lentil-soup?servings=4"
    assert event.categories == ["Dinner"]


def test_a_timed_meal_over_several_days_repeats_daily() -> None:
    (event,) = _events(_meal(last_day=MONDAY + dt.timedelta(days=2)))
    assert event.decoded("DTSTART") == dt.datetime(2026, 12, 7, 19, 0)
    rule = recurrence(event)
    assert rule["FREQ"] == ["DAILY"]
    assert rule["COUNT"] == [3]


def test_a_meal_without_a_time_is_all_day_over_its_days() -> None:
    one, three = _events(
        _meal(time=None, uid="a@x"),
        _meal(time=None, uid="b@x", last_day=MONDAY + dt.timedelta(days=2)),
    )
    assert one.decoded("DTSTART") == MONDAY
    assert one.decoded("DTEND") == MONDAY + dt.timedelta(days=1)
    assert three.decoded("DTSTART") == MONDAY
    assert three.decoded("DTEND") == MONDAY + dt.timedelta(days=3)
    assert "RRULE" not in three


def test_text_with_commas_semicolons_and_lines_round_trips() -> None:
    text = "Soup; bread, and\nsalad \\ cheese"
    (event,) = _events(_meal(summary=text, description=text, url=None))
    assert str(event["SUMMARY"]) == text
    assert str(event["DESCRIPTION"]) == text
    assert "URL" not in event
