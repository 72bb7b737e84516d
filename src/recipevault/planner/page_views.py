"""How the planner's pages are put together: the days a week or a month shows, what each entry
says and links to, and the forms whose shape differs from the API's bodies.

The routes are in ``pages``; the rules (who may, what may be planned) stay in the services.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from pydantic import Field

from recipevault.errors import AppError
from recipevault.http.schemas import Flag, Id, InputModel
from recipevault.planner.page_reads import Slot
from recipevault.planner.schemas import PlanDate
from recipevault.planner.service import PlannedEntry, PlanRow, plan_row
from recipevault.recipes.page_text import plain_number
from recipevault.web.forms import FORM_ERROR, Form

View = Literal["week", "month"]
PAGE = "/planner"
UNAVAILABLE = "No longer available"
LEFTOVERS = "Leftovers"
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = tuple(calendar.month_name)
SHORT_MONTHS = tuple(calendar.month_abbr)
WEEK = dt.timedelta(days=7)
ONE_DAY = dt.timedelta(days=1)


def page_url(household_id: int, day: dt.date, view: View = "week", **extra: str) -> str:
    """The planner page of a household on the week (or month) of ``day``."""
    # A number, an ISO date and a view's name are written as they are: a month's page links
    # to each of its days, and encoding each link's query would cost more than its entries.
    url = f"{PAGE}?household={int(household_id)}&date={day.isoformat()}"
    if extra:
        url += "&" + urlencode(extra)
    return url if view == "week" else f"{url}&view={view}"


def day_text(day: dt.date) -> str:
    """ "Monday 7 Dec"."""
    return f"{WEEKDAYS[day.weekday()]} {day.day} {SHORT_MONTHS[day.month]}"


def meals(count: int) -> str:
    """ "1 meal", "3 meals"."""
    return f"{count} meal" if count == 1 else f"{count} meals"


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _shift_month(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


# --- The days a page shows ---------------------------------------------------------------------


@dataclass(slots=True)
class EntryView:
    """An entry as the page shows it: what it is called, where it links, and its details.
    (Not frozen, as the page's other views: a month makes hundreds of them per page, and a
    frozen dataclass is slower to make.)"""

    id: int
    date: dt.date
    end_date: dt.date
    slot_id: int
    label: str
    recipe_url: str | None
    servings: str
    note: str | None
    unavailable: bool

    @property
    def days(self) -> int:
        return (self.end_date - self.date).days + 1


# A month shows a handful of distinct servings over and over: each is written once.
_number = lru_cache(maxsize=256)(plain_number)


@lru_cache(maxsize=256)
def _servings_query(servings: Decimal | None) -> str:
    return f"?{urlencode({'servings': plain_number(servings)})}" if servings else ""


def entry_view(planned: PlannedEntry | PlanRow) -> EntryView:
    """What a page shows of an entry: one listed (a ``PlanRow``), or one just changed."""
    row = planned if isinstance(planned, PlanRow) else plan_row(planned)
    servings = row.servings
    recipe_url = None
    if row.recipe_id is not None:
        label = row.recipe_title or ""
        servings = servings if servings is not None else row.recipe_servings
        recipe_url = f"/recipes/{row.recipe_slug}{_servings_query(servings)}"
    elif row.recipe_unavailable:
        label = UNAVAILABLE
    else:
        label = row.title or (LEFTOVERS if row.leftovers_of_id else None) or row.note or ""
    return EntryView(
        id=row.id,
        date=row.date,
        end_date=row.end_date,
        slot_id=row.slot_id,
        label=label,
        recipe_url=recipe_url,
        servings=_number(servings),
        note=row.note if row.note != label else None,
        unavailable=row.recipe_unavailable,
    )


@dataclass(slots=True)
class SlotCell:
    slot: Slot
    entries: list[EntryView]


@dataclass(slots=True)
class DayView:
    date: dt.date
    in_period: bool
    is_today: bool
    cells: list[SlotCell]

    @property
    def id(self) -> str:
        return f"day-{self.date.isoformat()}"

    @property
    def title(self) -> str:
        return day_text(self.date)

    @property
    def entries(self) -> list[EntryView]:
        return [entry for cell in self.cells for entry in cell.entries]


@dataclass(frozen=True, slots=True)
class Period:
    """The days a page shows: a week from Monday, or the weeks that hold a month."""

    view: View
    day: dt.date
    first: dt.date  # the first day shown
    last: dt.date  # the last day shown
    title: str
    previous: dt.date
    next: dt.date

    @property
    def week_start(self) -> dt.date:
        return week_start(self.day)


def period(view: View, day: dt.date) -> Period:
    if view == "month":
        first_of_month = day.replace(day=1)
        last_of_month = _shift_month(day, 1) - ONE_DAY
        return Period(
            view=view,
            day=day,
            first=week_start(first_of_month),
            last=week_start(last_of_month) + WEEK - ONE_DAY,
            title=f"{MONTHS[day.month]} {day.year}",
            previous=_shift_month(day, -1),
            next=_shift_month(day, 1),
        )
    start = week_start(day)
    end = start + WEEK - ONE_DAY
    return Period(
        view=view,
        day=day,
        first=start,
        last=end,
        title=f"Week of {start.day} {MONTHS[start.month]} {start.year}",
        previous=start - WEEK,
        next=start + WEEK,
    )


def days(
    shown: Period, slots: Sequence[Slot], planned: Sequence[PlanRow], today: dt.date
) -> list[DayView]:
    """Each day shown, with its slots in order and what is planned in each (an entry of
    several days on each of its days)."""
    by_day: dict[tuple[dt.date, int], list[EntryView]] = {}
    for each in planned:
        view = entry_view(each)
        day = max(view.date, shown.first)
        while day <= min(view.end_date, shown.last):
            by_day.setdefault((day, view.slot_id), []).append(view)
            day += ONE_DAY
    found = []
    day = shown.first
    while day <= shown.last:
        in_period = shown.view == "week" or day.month == shown.day.month
        cells = [SlotCell(slot, by_day.get((day, slot.id), [])) for slot in slots]
        found.append(DayView(day, in_period, day == today, cells))
        day += ONE_DAY
    return found


# --- Forms whose shape is the page's own --------------------------------------------------------


class HouseholdForm(InputModel):
    household_id: Id


class EntryMove(InputModel):
    """Move an entry to another day (it keeps its length) or slot."""

    date: PlanDate
    slot_id: Id


class TemplateApplyForm(InputModel):
    household_id: Id  # the page to come back to; the template's household is the one planned
    template_id: Id
    week_start: PlanDate


Terms = Annotated[str | None, Field(default=None, max_length=1000)]


class SuggestForm(InputModel):
    """The rules of ``SuggestionRules`` as a form: names separated by commas."""

    household_id: Id
    start: PlanDate
    end: PlanDate
    slot_ids: Annotated[list[Id], Field(min_length=1, max_length=20)]
    include_tags: Terms = None
    exclude_tags: Terms = None
    include_categories: Terms = None
    exclude_categories: Terms = None
    max_total_minutes: int | None = None
    not_planned_within_days: int | None = None
    foods_on_hand: Terms = None
    rated_first: Flag = False
    seed: Annotated[int, Field(ge=0, le=2**53)] = 0

    def request(self) -> dict[str, Any]:
        """The body of a suggestion request (``SuggestionRequest``) these answers make."""
        rules: dict[str, Any] = {
            name: _names(getattr(self, name))
            for name in TERM_FIELDS
            if getattr(self, name) is not None
        }
        for name in ("max_total_minutes", "not_planned_within_days"):
            if getattr(self, name) is not None:
                rules[name] = getattr(self, name)
        rules["rated_first"] = self.rated_first
        return {
            "household_id": self.household_id,
            "start": self.start,
            "end": self.end,
            "slot_ids": self.slot_ids,
            "rules": rules,
            "seed": self.seed,
        }


TERM_FIELDS = (
    "include_tags",
    "exclude_tags",
    "include_categories",
    "exclude_categories",
    "foods_on_hand",
)


def _names(text: str | None) -> list[str]:
    return [name.strip() for name in (text or "").split(",") if name.strip()]


class KeepForm(InputModel):
    """The proposals to plan, each "date:slot id:recipe id"."""

    household_id: Id
    keep: Annotated[list[Annotated[str, Field(max_length=60)]], Field(max_length=2000)] = Field(
        default_factory=list
    )


@dataclass(frozen=True, slots=True)
class Kept:
    date: dt.date
    slot_id: int
    recipe_id: int


def kept(values: Sequence[str]) -> list[Kept] | None:
    """The proposals chosen, or None when one of them is not one the page offered."""
    found = []
    for value in values:
        try:
            day, slot_id, recipe_id = value.split(":")
            found.append(Kept(dt.date.fromisoformat(day), int(slot_id), int(recipe_id)))
        except ValueError:
            return None
    return found


# --- Refusals beside fields ----------------------------------------------------------------------


def refused(form: Form[Any], exc: AppError, shown: Collection[str]) -> Form[Any]:
    """``form`` with a service's refusal (its ``extra`` names the fields, as the API answers
    it) beside the ``shown`` fields it names, and above the form otherwise."""
    errors: dict[str, str] = {}
    for error in exc.extra.get("errors", []):
        name = str(error.get("field", "")).rsplit(".", 1)[-1]
        message = str(error.get("message") or exc.detail)
        message = message[:1].upper() + message[1:]
        errors.setdefault(
            name if name in shown else FORM_ERROR,
            message if message.endswith(".") else message + ".",
        )
    for name, message in (errors or {FORM_ERROR: exc.detail}).items():
        form = form.with_error(name, message)
    return form
