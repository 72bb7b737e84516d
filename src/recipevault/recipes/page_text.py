"""How a stored recipe document reads on a page: times in words, ingredient lines with their
amounts set apart, and ingredients and steps grouped under their section headings. Pure."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Generic, TypeVar

from recipevault.recipes.scaling import format_quantity

T = TypeVar("T")
MINUTES_PER_DAY = 24 * 60


def minutes_text(minutes: int | None) -> str | None:
    """``90`` -> "1 h 30 min": short enough for a line of metadata."""
    if minutes is None:
        return None
    days, rest = divmod(minutes, MINUTES_PER_DAY)
    hours, mins = divmod(rest, 60)
    parts = [
        f"{days} d" if days else "",
        f"{hours} h" if hours else "",
        f"{mins} min" if mins else "",
    ]
    return " ".join(part for part in parts if part) or "0 min"


def iso_duration(minutes: int | None) -> str | None:
    """``90`` -> "PT1H30M", the form schema.org durations take."""
    if minutes is None:
        return None
    days, rest = divmod(minutes, MINUTES_PER_DAY)
    hours, mins = divmod(rest, 60)
    time = (f"{hours}H" if hours else "") + (f"{mins}M" if mins else "")
    if not days:
        return f"PT{time or '0M'}"
    return f"P{days}D" + (f"T{time}" if time else "")


def servings_text(servings: float | int | None) -> str | None:
    """Servings as a cook reads them: "4", "2½"."""
    if servings is None:
        return None
    return format_quantity(Decimal(str(servings)), None, "us")


def plain_number(value: float | int | Decimal | None) -> str:
    """A number for an input's value: "4", "2.5", never "4.0"."""
    if value is None:
        return ""
    number = Decimal(str(value)).normalize()
    return f"{number:f}"


@dataclass(frozen=True, slots=True)
class IngredientLine:
    amount: str
    text: str
    optional: bool


@dataclass(frozen=True, slots=True)
class StepItem:
    number: int
    text: str
    timer_minutes: int | None


@dataclass(slots=True)
class Section(Generic[T]):
    title: str | None
    items: list[T] = field(default_factory=list)

    @property
    def start(self) -> int:
        """The number of the first step, for ``<ol start>`` across sections."""
        first = self.items[0] if self.items else None
        return first.number if isinstance(first, StepItem) else 1


def _sections(
    rows: Iterable[Mapping[str, Any]], make: Callable[[Mapping[str, Any]], T]
) -> list[Section[T]]:
    sections: list[Section[T]] = []
    for row in rows:
        title = row.get("section") or None
        if not sections or sections[-1].title != title:
            sections.append(Section(title))
        sections[-1].items.append(make(row))
    return sections


def _described(line: Mapping[str, Any]) -> str:
    """The line without its amount, taken from the text as written where the food appears in
    it ("4 tomatoes" -> "tomatoes"), so a scaled amount can stand in front of it."""
    text: str = line["text"]
    food: str | None = line.get("food")
    if not food:
        return text
    lowered = text.casefold()
    start = lowered.find(food.casefold())
    if start < 0 and len(food) > 3:
        # The vocabulary keeps foods singular; the text may say "tomatoes".
        start = lowered.find(food.casefold()[:-1])
    if start < 0:
        note = line.get("note")
        return f"{food}, {note}" if note else food
    described = text[start:]
    size = line.get("size")
    if size and not any(char.isdigit() for char in size) and size.casefold() not in lowered[start:]:
        described = f"{size} {described}"
    return described


def _ingredient(line: Mapping[str, Any], *, changed: bool) -> IngredientLine:
    optional = bool(line.get("optional"))
    text: str = line["text"]
    if optional and "optional" in text.casefold():
        optional = False  # the text says so already
    if not changed or line.get("quantity") is None or not line.get("display"):
        return IngredientLine(amount="", text=text, optional=optional)
    return IngredientLine(amount=line["display"], text=_described(line), optional=optional)


def ingredient_sections(
    document: Mapping[str, Any], *, changed: bool
) -> list[Section[IngredientLine]]:
    """The ingredient lines under their headings. Unchanged recipes show each line exactly as
    written; scaled or converted ones show the new amount followed by the rest of the line."""
    return _sections(
        document.get("ingredients") or [], lambda line: _ingredient(line, changed=changed)
    )


def step_sections(document: Mapping[str, Any]) -> list[Section[StepItem]]:
    """The steps under their headings, numbered through the whole recipe."""
    numbers = iter(range(1, 10_000))
    return _sections(
        document.get("steps") or [],
        lambda step: StepItem(
            number=next(numbers), text=step["text"], timer_minutes=step.get("timer_minutes")
        ),
    )


NUTRITION_LABELS: tuple[tuple[str, str], ...] = (
    ("serving_size", "Serving size"),
    ("calories", "Calories"),
    ("fat_content", "Fat"),
    ("saturated_fat_content", "Saturated fat"),
    ("trans_fat_content", "Trans fat"),
    ("unsaturated_fat_content", "Unsaturated fat"),
    ("cholesterol_content", "Cholesterol"),
    ("sodium_content", "Sodium"),
    ("carbohydrate_content", "Carbohydrates"),
    ("fiber_content", "Fibre"),
    ("sugar_content", "Sugar"),
    ("protein_content", "Protein"),
)


def nutrition_rows(document: Mapping[str, Any]) -> list[tuple[str, str]]:
    nutrition = document.get("nutrition") or {}
    return [(label, str(nutrition[key])) for key, label in NUTRITION_LABELS if nutrition.get(key)]
