"""Times and yields as Wikibooks writes them: "8 h, 10 minutes", "Prep: 5 min<br/>Cook: 1½ h",
"4-6", "1 loaf". Pure functions.
"""

from __future__ import annotations

import math
import re
import unicodedata
from decimal import Decimal
from fractions import Fraction
from typing import Any

from recipevault.demo.wikitext import _BREAK, clean_text, truncate

MAX_YIELD_CHARS = 200

_VULGAR = "½⅓⅔¼¾⅕⅖⅗⅘⅙⅚⅛⅜⅝⅞"
_NUM = rf"(?:\d+\s+\d+/\d+|\d+/\d+|\d+(?:\.\d+)?(?:\s?[{_VULGAR}])?|[{_VULGAR}])"
_RANGE_SEP = "(?:\u2013|\u2014|-|to|or)"
_UNIT_MINUTES = {"s": Fraction(1, 60), "m": Fraction(1), "h": Fraction(60), "d": Fraction(1440)}
_UNIT_MINUTES |= {"w": Fraction(10_080), "mo": Fraction(43_200)}
_DURATION = re.compile(
    rf"(?P<a>{_NUM}|\ban?\b)(?:\s*{_RANGE_SEP}\s*(?P<b>{_NUM}))?\s*"
    r"(?P<unit>seconds?|secs?|minutes?|mins?|hours?|hrs?|h|days?|weeks?|months?)\b",
    re.IGNORECASE,
)
# Words that may sit around a duration without changing what it means.
_TIME_WORDS = frozenset(
    {"about", "approximately", "approx", "around", "roughly", "max", "maximum", "up", "to"}
    | {"under", "less", "than", "and", "total", "time", "active", "prep", "preparation", "cook"}
    | {"bake", "soak", "stand", "ferment", "fermentation", "refrigeration", "maturation"}
    | {"assembly", "kitchen", "altogether", "start", "finish", "then"}
)
_TIME_PUNCTUATION = frozenset({":", ".", ",", "~", "<", "-", "\u2013"})
_ASIDE_WORDS = frozenset(
    {"start", "to", "finish", "total", "altogether", "including", "prep", "time"}
)
_LABEL = re.compile(r"^\s*[A-Za-z][A-Za-z ]*:")
_TOTAL_MARKER = re.compile(r"\btotal\b|\baltogether\b|start to finish", re.IGNORECASE)


def parse_number(text: str) -> Fraction:
    """'1½', '1 1/2', '¾', '2.5', 'an' -> Fraction; the text has matched ``_NUM`` already."""
    text = text.strip()
    if text.lower() in {"a", "an"}:
        return Fraction(1)
    if text[-1] in _VULGAR:
        whole = Fraction(text[:-1].strip() or 0)
        return whole + Fraction(unicodedata.numeric(text[-1])).limit_denominator(16)
    return sum((Fraction(part) for part in text.split()), Fraction(0))


def _words_allowed(text: str, allowed: frozenset[str]) -> bool:
    for token in re.findall(r"[a-z]+|[^\sa-z]", text.lower()):
        # Any "-ing" word is an activity label ("Chilling:", "marinating") in this data.
        if token.isalpha() and token not in allowed and not token.endswith("ing"):
            return False
        if not token.isalpha() and token not in _TIME_PUNCTUATION:
            return False
    return True


def _part_minutes(part: str) -> Fraction | None:
    matches = list(_DURATION.finditer(part))
    if not matches:
        return None
    leftover = part[: matches[0].start()] + part[matches[-1].end() :]
    total = previous = Fraction(0)
    for index, match in enumerate(matches):
        unit = match.group("unit").lower()
        per_unit = _UNIT_MINUTES["mo" if unit.startswith("mo") else unit[0]]
        minutes = parse_number(match.group("b") or match.group("a")) * per_unit
        between = part[matches[index - 1].end() : match.start()].strip() if index else ""
        if index and re.fullmatch(_RANGE_SEP, between, re.IGNORECASE):  # "45 minutes to an hour"
            total += max(minutes, previous) - previous
        else:
            leftover += " " + between
            total += minutes
        previous = minutes
    return total if _words_allowed(leftover, _TIME_WORDS) else None


def _segment_minutes(segment: str) -> Fraction | None:
    total = Fraction(0)
    pieces = re.split(r"(,|\+|\bplus\b)", segment, flags=re.IGNORECASE)
    for index in range(0, len(pieces), 2):
        part = pieces[index].strip()
        if not part.strip(" .:-"):
            if index and pieces[index - 1].lower() in {"+", "plus"}:
                return None  # "1 hour +" is open-ended
            continue
        minutes = _part_minutes(part)
        if minutes is None:
            # Only "start to finish" or "including prep time" may be said without a number.
            aside = part.lower().startswith("including") or _TOTAL_MARKER.search(part)
            if _DURATION.search(part) or not aside or not _words_allowed(part, _ASIDE_WORDS):
                return None
            continue
        total += minutes
    return total or None


def parse_total_minutes(raw: Any) -> int | None:
    """Total time in whole minutes (rounded up), or None when the text does not pin one down.

    Ranges take the upper bound (a "max total time" filter must not promise too little); labelled
    parts are summed unless one is marked total (or is the only unlabelled one); parenthesised
    asides are ignored; anything vague ("overnight", "plus chilling", "per batch", "1 hour +")
    makes the whole value None.
    """
    if not isinstance(raw, str):
        return None
    segments = [re.sub(r"\([^()]*\)", " ", clean_text(s)) for s in _BREAK.split(raw)]
    segments = [segment for segment in segments if segment.strip()]
    totals = [segment for segment in segments if _TOTAL_MARKER.search(segment)]
    unlabelled = [segment for segment in segments if not _LABEL.match(segment)]
    if not totals and len(segments) > 1 and len(unlabelled) == 1:
        totals = unlabelled  # "Prep: 20 minutes<br>Baking: 12 minutes<br>32 minutes"
    parsed = [_segment_minutes(segment) for segment in (totals[:1] or segments)]
    if not parsed or any(minutes is None for minutes in parsed):
        return None
    minutes = math.ceil(sum(m for m in parsed if m is not None))
    return minutes if minutes > 0 else None


_YIELD = re.compile(
    rf"^(?P<lead>serves|makes|about|approximately|approx\.?|~|>|over|at least)?\s*"
    rf"(?P<a>{_NUM})(?P<range>\s*{_RANGE_SEP}\s*{_NUM})?\s*(?P<rest>.*)$",
    re.IGNORECASE,
)
_MEASURE = re.compile(
    r"^(?:cups?|c\b|litres?|liters?|l\b|ml\b|dl\b|oz\b|ounces?|g\b|grams?|kg\b|lbs?\b|pounds?|"
    r"quarts?|qt\b|pints?|pt\b|gallons?|tablespoons?|tbsp|teaspoons?|tsp)",
    re.IGNORECASE,
)
_PLAIN_SERVINGS = re.compile(r"^(?:servings?|persons?|people|portions?)?$", re.IGNORECASE)


def parse_yield(raw: Any) -> tuple[Decimal | None, str | None]:
    """Servings as a number, plus the original words when the number alone would lose meaning.

    '12' -> (12, None); '4 persons' -> (4, None); '4-6' -> (4, '4-6') (the lower bound, so scaling
    never starts from more than the recipe promises); '1 loaf' -> (1, '1 loaf'); '2 cups' ->
    (None, '2 cups') (an amount, not servings); 'Varies' -> (None, None) (says nothing).
    """
    if not isinstance(raw, str):
        return None, None
    text = truncate(clean_text(raw), MAX_YIELD_CHARS)
    if not any(ch.isdigit() for ch in text):
        return None, None
    match = _YIELD.match(text)
    if match is None or _MEASURE.match(match.group("rest")):
        return None, text
    count = parse_number(match.group("a"))
    if count <= 0:
        return None, text
    servings = (Decimal(count.numerator) / Decimal(count.denominator)).quantize(Decimal("0.01"))
    servings = servings.normalize() if servings % 1 else servings.quantize(Decimal(1))
    plain = (match.group("lead") or "serves").lower() == "serves" and not match.group("range")
    return servings, None if plain and _PLAIN_SERVINGS.match(match.group("rest")) else text


# --- reading -------------------------------------------------------------------------------------
