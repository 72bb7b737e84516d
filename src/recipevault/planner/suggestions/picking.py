"""Choosing a recipe for each empty slot-day, and saying why: pure logic, no I/O.

The recipes to choose from come in a repeatable order (by id, then shuffled by the seed, then
the preferred first: the larger share of foods on hand, then the better rating). Slot-days are
filled in turn, each with the first recipe after the one chosen last that may go there, going
round the list again once it is used up: the best come first, and a plan repeats a recipe only
when it has run out of others. "Not planned within N days" skips a recipe that an entry of the
household, or a proposal already made, has within N days either side of the day.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from operator import attrgetter

from recipevault.planner.suggestions.schemas import SuggestionRules
from recipevault.recipes.choices import Choice


@dataclass(frozen=True, slots=True)
class SlotDay:
    date: dt.date
    slot_id: int


@dataclass(frozen=True, slots=True)
class Planned:
    """A recipe planned from ``start`` to ``end``, both included."""

    recipe_id: int
    start: dt.date
    end: dt.date


@dataclass(frozen=True, slots=True)
class Pick:
    slot_day: SlotDay
    choice: Choice | None
    reasons: tuple[str, ...]


def ordered(choices: Sequence[Choice], *, seed: int, rules: SuggestionRules) -> list[Choice]:
    """``choices`` in the order they are offered: the same for the same seed and choices."""
    found = sorted(choices, key=attrgetter("id"))
    random.Random(seed).shuffle(found)  # noqa: S311 (an order to repeat, not a secret)
    if rules.foods_on_hand or rules.rated_first:
        found.sort(key=lambda choice: _preference(choice, rules))
    return found


def _preference(choice: Choice, rules: SuggestionRules) -> tuple[float, int, int]:
    coverage, have = 0.0, 0
    if rules.foods_on_hand and choice.have is not None and choice.need:
        coverage, have = choice.have / choice.need, choice.have
    rating = (choice.rating or 0) if rules.rated_first else 0
    return (-coverage, -have, -rating)


def pick(
    slot_days: Sequence[SlotDay],
    choices: Sequence[Choice],
    *,
    planned: Sequence[Planned],
    rules: SuggestionRules,
) -> list[Pick]:
    """A pick for each of ``slot_days`` in turn from ``choices`` (in ``ordered`` order), never
    one that ``planned``, or an earlier pick, has within the rules' window of days."""
    window = dt.timedelta(days=rules.not_planned_within_days or 0)
    days_of: defaultdict[int, list[tuple[dt.date, dt.date]]] = defaultdict(list)
    for entry in planned:
        days_of[entry.recipe_id].append((entry.start, entry.end))

    def free(choice: Choice, day: dt.date) -> bool:
        if not rules.not_planned_within_days:
            return True
        return all(start > day + window or end < day - window for start, end in days_of[choice.id])

    picks = []
    following = 0
    for slot_day in slot_days:
        found = next(
            (
                position % len(choices)
                for position in range(following, following + len(choices))
                if free(choices[position % len(choices)], slot_day.date)
            ),
            None,
        )
        if found is None:
            picks.append(Pick(slot_day, None, (_none_fits(choices, rules),)))
            continue
        choice = choices[found]
        following = found + 1
        days_of[choice.id].append((slot_day.date, slot_day.date))
        picks.append(Pick(slot_day, choice, tuple(reasons(choice, rules))))
    return picks


def _none_fits(choices: Sequence[Choice], rules: SuggestionRules) -> str:
    if not choices:
        return "No recipe you can plan meets these rules"
    days = rules.not_planned_within_days
    return f"Every recipe that meets these rules is planned within {_days(days or 0)}"


def _days(count: int) -> str:
    return "1 day" if count == 1 else f"{count} days"


def reasons(choice: Choice, rules: SuggestionRules) -> list[str]:
    """The rules ``choice`` meets, in words, in the order the rules are listed."""
    said = [f"Tagged {name}" for name in rules.include_tags]
    said += [f"Not tagged {name}" for name in rules.exclude_tags]
    said += [f"In {name}" for name in rules.include_categories]
    said += [f"Not in {name}" for name in rules.exclude_categories]
    if rules.max_total_minutes is not None:
        said.append(f"Ready in {rules.max_total_minutes} min or less")
    if rules.not_planned_within_days:
        said.append(f"Not planned within {_days(rules.not_planned_within_days)}")
    if rules.foods_on_hand and choice.have is not None:
        said.append(f"You have {choice.have} of its {choice.need} foods")
    if rules.rated_first and choice.rating is not None:
        said.append(f"Rated {choice.rating}")
    return said
