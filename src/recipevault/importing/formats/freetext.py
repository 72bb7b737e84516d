"""Times and yields that other apps keep as free text: "1 hr 20 mins", "PT20M", "Serves 4"."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction

MAX_MINUTES = 60 * 24 * 365
MAX_SERVINGS = Decimal(10_000)

_VULGAR = {"½": "1/2", "¼": "1/4", "¾": "3/4", "⅓": "1/3", "⅔": "2/3", "⅛": "1/8"}
_ISO = re.compile(
    r"^P(?:(?P<d>\d+(?:[.,]\d+)?)D)?"
    r"(?:T(?:(?P<h>\d+(?:[.,]\d+)?)H)?(?:(?P<m>\d+(?:[.,]\d+)?)M)?(?:(?P<s>\d+(?:[.,]\d+)?)S)?)?$",
    re.IGNORECASE,
)
_ISO_SIZES = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
_CLOCK = re.compile(r"^(\d{1,3}):([0-5]\d)$")
_NUMBER = r"\d+\s+\d+/\d+|\d+/\d+|\d+(?:[.,]\d+)?"
_RANGE = re.compile(rf"(?:{_NUMBER})\s*(?:-|\u2013|\u2014|to|bis|à)\s*(?=\d)", re.IGNORECASE)
_AMOUNT = re.compile(rf"(?P<number>{_NUMBER})\s*(?P<unit>[^\W\d_]+\.?)?")
_UNITS: dict[str, int] = {}
for _seconds, _words in (
    (86400, "d day days tag tage jour jours"),
    (3600, "h hr hrs hour hours std stunde stunden heure heures uur"),
    (60, "m min mins minute minutes minuten mn"),
    (1, "s sec secs second seconds sek sekunden"),
):
    _UNITS.update(dict.fromkeys(_words.split(), _seconds))


def _number(text: str) -> Fraction:
    text = text.replace(",", ".")
    if " " in text:
        whole, part = text.split(None, 1)
        return Fraction(whole) + Fraction(part)
    return Fraction(text)


def _minutes(seconds: Fraction) -> int | None:
    if seconds <= 0:
        return None
    minutes = max(1, int(seconds / 60 + Fraction(1, 2)))
    return minutes if minutes <= MAX_MINUTES else None


def parse_minutes(value: object) -> int | None:
    """Minutes from a number (already minutes), an ISO 8601 duration or words.

    "PT1H20M", "1 hr 20 mins", "1h20", "1:20", "1½ hours", "45-60 minutes" (the longer end) and
    "20" all work; anything unreadable, zero, or longer than a year gives ``None``.
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        try:
            return _minutes(Fraction(value) * 60)
        except (ValueError, OverflowError):
            return None
    if not isinstance(value, str):
        return None
    text = value.strip()
    for glyph, fraction in _VULGAR.items():
        text = text.replace(glyph, f" {fraction}")
    text = " ".join(text.split())
    if not text:
        return None
    if iso := _ISO.match(text):
        if text.upper() in ("P", "PT"):
            return None
        parts = {key: _number(found) for key, found in iso.groupdict().items() if found}
        seconds = sum(parts.get(key, Fraction(0)) * size for key, size in _ISO_SIZES)
        return _minutes(Fraction(seconds))
    if clock := _CLOCK.match(text):
        return _minutes(Fraction(int(clock[1]) * 3600 + int(clock[2]) * 60))
    return _words_minutes(_RANGE.sub("", text))


def _words_minutes(text: str) -> int | None:
    seconds = Fraction(0)
    previous: int | None = None
    found = False
    for match in _AMOUNT.finditer(text):
        try:
            amount = _number(match["number"])
        except (ValueError, ZeroDivisionError):
            return None
        word = (match["unit"] or "").rstrip(".").lower()
        if word:
            size = _UNITS.get(word)
            if size is None:
                continue
        else:
            # A bare number after hours is minutes ("1 h 20"); alone it is minutes too.
            size = 60 if previous in (None, 3600) else None
            if size is None:
                continue
        seconds += amount * size
        previous = size
        found = True
    return _minutes(seconds) if found else None


_SERVING_WORDS = re.compile(
    r"^(?:serves|servings?|portions?|people|persons?|personen|portionen|for|für|pour|makes|yield|yields)$",
    re.IGNORECASE,
)
_LEADING = re.compile(rf"(?P<number>{_NUMBER})")


def servings_amount(value: object) -> Decimal | None:
    """A number of servings that fits RecipeVault's bounds (more than 0, at most 10,000)."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        amount = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount <= 0 or amount > MAX_SERVINGS:
        return None
    return tidy_decimal(amount, 3)


def parse_yield(value: object) -> tuple[Decimal | None, str | None]:
    """Servings and the yield as text from "4", "4 servings", "Serves 4-6" or "12 cookies".

    Only serving words ("servings", "serves", "portions", "people", "makes") give servings;
    anything else is kept as text, the number with it ("12 cookies", "1 loaf").
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        return servings_amount(value), None
    if not isinstance(value, str):
        return None, None
    text = " ".join(value.split())
    if not text:
        return None, None
    number = _LEADING.search(text)
    if number is None:
        return None, text
    words = [word for word in re.split(rf"[\s:]+|{_NUMBER}|[-\u2013]", text) if word]
    serving_words = all(_SERVING_WORDS.match(word.rstrip(".")) for word in words)
    if not serving_words:
        return None, text
    try:
        amount = servings_amount(float(_number(number["number"])))
    except (ValueError, ZeroDivisionError):
        return None, text
    if amount is None:
        return None, text
    ranged = re.search(r"\d\s*[-\u2013]\s*\d", text) is not None
    return amount, text if ranged else None


def tidy_decimal(value: Decimal, places: int) -> Decimal:
    """Round to ``places`` decimals and drop trailing zeros ("0.3333333" -> "0.333")."""
    rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if rounded == rounded.to_integral_value():
        return rounded.quantize(Decimal(1))
    return rounded.normalize()
