"""Ingredient lines: "1 ½ cups (180 g) flour, sifted" into quantity, unit, size, food and note.

Recipes arrive as free text from imports and from people typing, so parsing is rule-based and
predictable rather than clever: it reads an amount from the front of the line, then splits the
rest into the food and the notes around it. What it cannot place stays in the food; nothing is
dropped, and the original text is always kept for display.

Decisions a reader of the parsed fields needs to know:

- Quantities are exact fractions while parsing and ``Decimal`` rounded half up to 4 places in
  the result, so ⅓ is ``0.3333``; formatting snaps that back to ⅓.
- A range ("2-3" with any dash, "2 to 3", "2 or 3") fills ``quantity`` and ``quantity_max``.
- "1,5" is one and a half; a comma before exactly three digits ("1,500") groups thousands.
- ``unit`` is a canonical key from ``units.UNITS`` ("tablespoon", "gram", "can").
- ``size`` is how big one item is: a package size ("1 (14 oz) can", "1 x 400g tin",
  "24.5 oz jar", "2 cans (15 oz each)", kept as written) or a size word ("2 large eggs" ->
  "large"). A measure without a count in front of a package ("24.5 oz jar") counts as one
  package of that size. ``package`` reads a package size as an amount and a unit ("15-ounce"
  -> 15 ounce), which is what scaling and conversion work with: the count scales, the size
  of each package does not.
- Words between the unit and the first comma are the food, preparation words included:
  "1 (14 oz) can diced tomatoes" has food "diced tomatoes". A later step may normalise foods;
  guessing which adjectives matter when shopping is not the parser's job.
- Notes collect, in order: a "packed"/"heaping" word before the unit, a second amount ("½ cup
  + 2 tbsp" -> "+ 2 tbsp"), parenthesised text ("(113 g)", "(sifted)"), trailing "to taste",
  "for garnish", "plus more" clauses, and everything after the first comma or " - ". They are
  joined with "; ". "Juice of 1 lemon" is 1 lemon with the note "Juice".
- "optional" anywhere in a note sets ``optional`` and is removed from the note.
- "salt to taste" has no quantity. "a pinch of salt" and a line opening with pinch, dash,
  splash or handful ("pinch saffron") mean one of them; "a little bit of salt" has no quantity
  and keeps "a little bit" as a note.
- Footnote asterisks ("wine*") are dropped from the food.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from recipevault.recipes.units import UNIT_PATTERN, tidy_decimal, unit_for


@dataclass(frozen=True, slots=True)
class ParsedIngredient:
    """One ingredient line as written, and what could be read from it."""

    text: str
    quantity: Decimal | None = None
    quantity_max: Decimal | None = None
    unit: str | None = None
    size: str | None = None
    food: str | None = None
    note: str | None = None
    optional: bool = False

    @property
    def package(self) -> Measure | None:
        """How much one item holds, when ``size`` is a measure ("14 oz") and not a word."""
        return package_size(self.size)


@dataclass(frozen=True, slots=True)
class Measure:
    """An amount of a mass or volume unit (a canonical key): a package's size."""

    quantity: Decimal
    unit: str


_VULGAR: dict[str, Fraction] = {
    glyph: Fraction(unicodedata.numeric(glyph)).limit_denominator(10)
    for glyph in "½⅓⅔¼¾⅕⅖⅗⅘⅙⅚⅐⅛⅜⅝⅞⅑⅒"
}
_COUNTING = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
_WORDS: dict[str, Fraction] = {
    word: Fraction(value) for value, word in enumerate(_COUNTING, start=1)
} | {"a": Fraction(1), "an": Fraction(1), "half a": Fraction(1, 2), "half an": Fraction(1, 2)}

# Written as escapes because they look like ASCII: hyphen, en dash, em dash; x and the
# multiplication sign; the typographic apostrophe.
_DASH = "-\u2013\u2014"
_TIMES = "x\u00d7"
_APOSTROPHE = "'\u2019"
_FRACTION_SLASH = "\u2044"
_BULLETS = "*\u2022\u00b7\u25aa\u25ab\u25e6\u2023\u2043\u25a2\u2610\u25a1\u2713\u2714\u27a4"

_V = "".join(_VULGAR)
_FRACTION = r"\d{1,3}/\d{1,3}(?!\d)"
# Digit counts are capped: a 12-digit "quantity" is a product code, not an amount.
_NUMBER = "(?:{})".format(
    "|".join(
        (
            rf"\d{{1,7}}\s*-\s*{_FRACTION}",  # 1-1/2
            rf"\d{{1,7}}\s*[{_V}]",  # 1½, 1 ½
            rf"\d{{1,7}}\s+{_FRACTION}",  # 1 1/2
            _FRACTION,
            f"[{_V}]",
            r"\d{1,7}[.,]\d{1,6}(?!\d)",  # 1.5, 1,5, 1,500
            r"\d{1,7}(?!\d)",
        )
    )
)
_WORD_NUMBER = "|".join(sorted(_WORDS, key=len, reverse=True)).replace(" ", r"\s+")
_QUANTITY = (
    rf"(?:(?P<low>{_NUMBER})(?:(?:\s*[{_DASH}]\s*|\s+(?:to|or)\s+)(?P<high>{_NUMBER}))?"
    rf"|(?P<word>{_WORD_NUMBER})(?=\s))"
)
_UNIT_END = r"\.?(?=$|[\s,;:()\[\]/*])"

_QUANTITY_RE = re.compile(rf"\s*{_QUANTITY}", re.IGNORECASE)
_UNIT_RE = re.compile(rf"\s*(?P<unit>{UNIT_PATTERN}){_UNIT_END}", re.IGNORECASE)
_MEASURE_RE = re.compile(
    rf"\s*(?P<amount>{_NUMBER})\s*-?\s*(?P<unit>{UNIT_PATTERN}){_UNIT_END}", re.I
)
_EACH_RE = re.compile(r"\s+each\s*$", re.IGNORECASE)
_MULTIPLIER_RE = re.compile(rf"\s*[{_TIMES}]\s*(?=\d)", re.IGNORECASE)
_PAREN_RE = re.compile(r"\s*\((?P<inner>[^()]*)\)")
_SIZE_WORD_RE = re.compile(
    r"\s+(?P<size>(?:extra[- ]large|x-large|small|medium|large|jumbo|big)(?:-sized)?)(?=\s+\S)",
    re.IGNORECASE,
)
_MODIFIER_RE = re.compile(
    r"\s+(?P<modifier>(?:(?:loosely|lightly|firmly|tightly)\s+)?"
    r"(?:packed|heaped|heaping|level|rounded|scant|generous))(?=\s)",
    re.IGNORECASE,
)
_SECOND_AMOUNT_RE = re.compile(
    rf"\s*(?P<plus>(?:\+|plus)\s*{_NUMBER}\s*(?:{UNIT_PATTERN}){_UNIT_END})", re.IGNORECASE
)
_CONNECTOR_RE = re.compile(rf"\s+(?:of|di|de|du|des)\s+|\s+d[{_APOSTROPHE}](?=\w)", re.I)

_BULLETS_RE = re.compile(rf"^[{_DASH}\s{_BULLETS}]+")
_OPTIONAL_PREFIX_RE = re.compile(r"^optional\s*:\s*", re.IGNORECASE)
_PART_OF_RE = re.compile(
    r"^(?P<part>(?:(?:finely\s+)?grated\s+)?(?:juice|zest|rind)(?:\s+(?:and|&)\s+(?:juice|zest))?)"
    r"\s+(?:of|from)\s+",
    re.IGNORECASE,
)
_VAGUE_RE = re.compile(
    r"^(?P<vague>a\s+little(?:\s+bit)?|a\s+bit|a\s+few|a\s+couple|some)(?:\s+of)?\s+",
    re.IGNORECASE,
)
_IMPLIED_ONE = frozenset({"pinch", "dash", "splash", "handful"})
_SEPARATOR_AMOUNT_RE = re.compile(rf"^(?P<food>.+?)(?:\s+[{_DASH}]|\s*:)\s+(?P<amount>.+)$")
_TRAILING_AMOUNT_RE = re.compile(
    rf"^(?P<food>.+?)\s+(?P<amount>{_NUMBER}\s*(?:{UNIT_PATTERN}){_UNIT_END})$", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class _Amount:
    quantity: Fraction | None = None
    quantity_max: Fraction | None = None
    unit: str | None = None
    size: str | None = None
    notes: tuple[str, ...] = ()
    rest: str = ""


def parse_ingredient(text: str) -> ParsedIngredient:
    """Parse one ingredient line. Never raises; unparseable text ends up in ``food``."""
    line = " ".join(_BULLETS_RE.sub("", text.replace(_FRACTION_SLASH, "/")).split())
    optional = bool(_OPTIONAL_PREFIX_RE.match(line))
    line = _OPTIONAL_PREFIX_RE.sub("", line)
    part = _PART_OF_RE.match(line)
    if part:
        line = line[part.end() :]
    amount = _leading_amount(line) or _trailing_amount(line) or _Amount(rest=line)
    food, described = _describe(amount.rest)
    notes = [part["part"]] if part else []
    cleaned = [_clean_note(note) for note in (*amount.notes, *described)]
    notes += [note for note, _ in cleaned if note]
    return ParsedIngredient(
        text=text,
        quantity=_decimal(amount.quantity),
        quantity_max=_decimal(amount.quantity_max),
        unit=amount.unit,
        size=amount.size,
        food=food,
        note="; ".join(notes) or None,
        optional=optional or any(flag for _, flag in cleaned),
    )


def _decimal(value: Fraction | None) -> Decimal | None:
    if value is None:
        return None
    return tidy_decimal(Decimal(value.numerator) / Decimal(value.denominator))


def _number(text: str) -> Fraction | None:
    """The value of a number as written ("1 ½", "1-1/2", "1,5", "a"); None for "1/0"."""
    text = " ".join(text.split())
    if text.casefold() in _WORDS:
        return _WORDS[text.casefold()]
    if text[-1] in _VULGAR:
        whole = text[:-1].strip()
        return (int(whole) if whole else 0) + _VULGAR[text[-1]]
    if "/" in text:
        whole, _, fraction = text.replace("-", " ").rpartition(" ")
        numerator, denominator = (int(part) for part in fraction.split("/"))
        if denominator == 0:
            return None
        return int(whole or 0) + Fraction(numerator, denominator)
    whole, separator, decimals = text.replace(",", ".").partition(".")
    if separator and "," in text and len(decimals) == 3:
        return Fraction(int(whole + decimals))
    return Fraction(text.replace(",", "."))


def _leading_amount(line: str) -> _Amount | None:
    """Read "2", "1 (14 oz) can", "½ cup + 2 tbsp", "1 x 400g tin" from the front of a line."""
    vague = _VAGUE_RE.match(line)
    if vague:
        return _Amount(notes=(vague["vague"],), rest=line[vague.end() :])
    sized = _measure_before_package(line)
    if sized:  # "24.5 oz jar of passata": one jar of that size
        return _units_and_rest(Fraction(1), None, sized[1], size=sized[0])
    match = _QUANTITY_RE.match(line)
    if not match:
        unit_match = _UNIT_RE.match(line)
        unit = unit_for(unit_match["unit"]) if unit_match else None
        if unit and unit.key in _IMPLIED_ONE:
            return _units_and_rest(Fraction(1), None, line)
        return None
    low = _number(match["low"] or match["word"])
    high = _number(match["high"]) if match["high"] else None
    if low is None or (match["high"] and high is None):
        return None
    if high is not None and high <= low:
        high = None
    rest = line[match.end() :]
    if rest and not rest[0].isspace() and not _UNIT_RE.match(rest) and rest[0] not in _TIMES + "(":
        return None  # "2nd", "7UP": digits that are part of a word
    return _units_and_rest(low, high, rest)


def _units_and_rest(
    low: Fraction, high: Fraction | None, rest: str, *, size: str | None = None
) -> _Amount:
    """After the count: a size, a unit and words about them; what is left is for the food."""
    notes: list[str] = []
    rest = _MULTIPLIER_RE.sub("", rest, count=1)
    if size is None:
        size, rest = _paren_size(rest)
    if size is None and (sized := _measure_before_package(rest)):
        size, rest = sized
    modifier = _MODIFIER_RE.match(rest)
    if modifier and _UNIT_RE.match(rest, modifier.end()):
        notes.append(modifier["modifier"])
        rest = rest[modifier.end() :]
    size, rest = _size_word(size, rest)
    unit_match = _UNIT_RE.match(rest)
    unit = unit_for(unit_match["unit"]) if unit_match else None
    if unit_match is None or unit is None:
        return _Amount(low, high, None, size, tuple(notes), rest)
    rest = rest[unit_match.end() :]
    if unit.package and size is None:
        rest = _unwrapped(rest) or rest  # "½ stick ((4 tbsp) butter)": the food is inside
        size, rest = _paren_size(rest)
    second = _SECOND_AMOUNT_RE.match(rest)
    if second:
        notes.append(second["plus"])
        rest = rest[second.end() :]
    size, rest = _size_word(size, rest)
    connector = _CONNECTOR_RE.match(rest)
    if connector:
        rest = rest[connector.end() :]
    return _Amount(low, high, unit.key, size, tuple(notes), rest)


def _paren_size(text: str) -> tuple[str | None, str]:
    """A measure in parentheses, "(14 oz)" or "(15 oz each)", is the size of one item."""
    paren = _PAREN_RE.match(text)
    if paren is None:
        return None, text
    inner = _EACH_RE.sub("", paren["inner"])
    if _is_measure(inner):
        return inner.strip(), text[paren.end() :]
    return None, text


def package_size(size: str | None) -> Measure | None:
    """The amount a package size holds ("14 oz", "15-ounce", "400g", "1/2 cup"), or None when
    ``size`` is a word ("large") or not one measure."""
    match = _MEASURE_RE.fullmatch(size) if size else None
    unit = unit_for(match["unit"]) if match else None
    if match is None or unit is None or unit.dimension == "count":
        return None
    quantity = _decimal(_number(match["amount"]))
    return None if quantity is None else Measure(quantity, unit.key)


def _measure_before_package(text: str) -> tuple[str, str] | None:
    """ "400g tin ...": the size, and the text from the package on."""
    measure = _MEASURE_RE.match(text)
    if not (measure and _is_measure(measure.group())):
        return None
    package = _UNIT_RE.match(text, measure.end())
    unit = unit_for(package["unit"]) if package else None
    return (measure.group().strip(), text[measure.end() :]) if unit and unit.package else None


def _is_measure(text: str) -> bool:
    """Whether ``text`` is all an amount of mass or volume: "14 oz", "6-ounce", "113g"."""
    match = _MEASURE_RE.fullmatch(text)
    unit = unit_for(match["unit"]) if match else None
    return unit is not None and unit.dimension != "count"


def _size_word(size: str | None, text: str) -> tuple[str | None, str]:
    match = _SIZE_WORD_RE.match(text)
    if size is None and match:
        return match["size"].lower(), text[match.end() :]
    return size, text


def _trailing_amount(line: str) -> _Amount | None:
    """Amounts written after the food: "Cheese - 75 g", "Sugar (1/3-1/2 cup)", "Alho 2 dentes"."""
    candidates: list[tuple[str, str]] = []
    separated = _SEPARATOR_AMOUNT_RE.match(line)
    if separated:
        candidates.append((separated["food"], separated["amount"]))
    groups = _top_level_groups(line)
    if groups and groups[-1][1] == len(line):
        start, end = groups[-1]
        candidates.append((line[:start], _inside(line, start, end)))
    trailing = _TRAILING_AMOUNT_RE.match(line)
    if trailing:
        candidates.append((trailing["food"], trailing["amount"]))
    for food, amount_text in candidates:
        amount = _leading_amount(amount_text)
        if amount and amount.quantity is not None:
            notes = (*amount.notes, amount.rest) if amount.rest.strip() else amount.notes
            return _Amount(
                amount.quantity, amount.quantity_max, amount.unit, amount.size, notes, food
            )
    return None


def _top_level_groups(text: str) -> list[tuple[int, int]]:
    """Spans of outermost parenthesised groups; an unclosed "(" runs to the end."""
    groups: list[tuple[int, int]] = []
    depth, start = 0, 0
    for index, char in enumerate(text):
        if char == "(":
            if depth == 0:
                start = index
            depth += 1
        elif char == ")" and depth:
            depth -= 1
            if depth == 0:
                groups.append((start, index + 1))
    if depth:
        groups.append((start, len(text)))
    return groups


def _inside(text: str, start: int, end: int) -> str:
    return text[start + 1 : end - 1 if text[end - 1] == ")" else end]


def _unwrapped(text: str) -> str | None:
    """The inside of ``text`` when all of it is one parenthesised group, else None."""
    text = text.strip()
    if text.startswith("(") and _top_level_groups(text) == [(0, len(text))]:
        return _inside(text, 0, len(text))
    return None


_SPLIT_RE = re.compile(rf",|\s[{_DASH}]")
_CLAUSE_RE = re.compile(
    r"\s(?:(?:plus|or)\s+more\b|to\s+(?:taste|serve|garnish|grease|finish|decorate|dust|brush)\b"
    r"|for\s+\S)",
    re.IGNORECASE,
)


def _describe(rest: str) -> tuple[str | None, list[str]]:
    """Split what follows the amount into the food and its notes, in reading order."""
    groups = _top_level_groups(rest)
    masked = list(rest)
    for start, end in groups:
        masked[start:end] = " " * (end - start)
    masked_text = "".join(masked)
    split = _SPLIT_RE.search(masked_text)
    head_end = split.start() if split else len(rest)
    tail = rest[split.end() :] if split else ""
    head = masked_text[:head_end]
    notes = [(start, _inside(rest, start, end)) for start, end in groups if start < head_end]
    clause = _CLAUSE_RE.search(head)
    if clause:
        notes.append((clause.start(), head[clause.start() :]))
        head = head[: clause.start()]
    food = " ".join(head.split()).strip(" *,;:")
    return food or None, [note for _, note in sorted(notes)] + [tail]


_OPTIONAL_RE = re.compile(r"\boptional\b", re.IGNORECASE)
_EMPTY_PARENS_RE = re.compile(r"\(\s*\)")
_PAREN_SPACE_RE = re.compile(r"(?<=\()\s+|\s+(?=\))")
_REPEATED_COMMA_RE = re.compile(r"\s*,(?:\s*,)+")
_NOTE_EDGES = " ,;:" + _DASH


def _clean_note(note: str) -> tuple[str, bool]:
    """Tidy one note; report and remove the word "optional" in it."""
    optional = bool(_OPTIONAL_RE.search(note))
    note = _EMPTY_PARENS_RE.sub("", _OPTIONAL_RE.sub("", note))
    note = _PAREN_SPACE_RE.sub("", note)
    note = _REPEATED_COMMA_RE.sub(",", " ".join(note.split()))
    note = note.lstrip(_NOTE_EDGES).rstrip(" ,;:")
    inside = _unwrapped(note)
    if inside is not None:
        inner, inner_optional = _clean_note(inside)
        return inner, optional or inner_optional
    return note, optional
