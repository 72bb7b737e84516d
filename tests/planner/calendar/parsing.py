"""Reading the feed back as a calendar app would."""

from __future__ import annotations

from icalendar import Event, vRecur


def recurrence(event: Event) -> vRecur:
    """The event's repetition rule (``RRULE``), which it must have."""
    rule = event["RRULE"]
    assert isinstance(rule, vRecur)
    return rule
