"""What every format reader shares: the batch it returns, per-recipe failures, small cleaners."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from recipevault.importing.archives import SafeArchive
from recipevault.importing.draft import ImageSource, ImportedRecipe, ImportFailure, ItemUnreadable
from recipevault.importing.formats.freetext import tidy_decimal

MAX_AMOUNT = Decimal(1_000_000)
_SINGULAR = {
    "ingredients": "ingredient",
    "steps": "step",
    "tags": "tag",
    "categories": "category",
    "tools": "tool",
}


@dataclass(slots=True)
class ImportBatch:
    """What one uploaded file held: the recipes read, and the items that could not be."""

    format: str
    recipes: list[ImportedRecipe] = field(default_factory=list)
    failures: list[ImportFailure] = field(default_factory=list)


class BatchCollector:
    """Builds a batch one item at a time: a bad item becomes a failure, not an exception."""

    def __init__(self, source_format: str) -> None:
        self.batch = ImportBatch(source_format)

    def add(self, item: str, build: Callable[[], ImportedRecipe | None]) -> None:
        try:
            recipe = build()
        except ValidationError as exc:
            self.batch.failures.append(ImportFailure(item, describe_validation_error(exc)))
        except ItemUnreadable as exc:
            self.batch.failures.append(ImportFailure(item, str(exc)))
        else:
            if recipe is not None:
                self.batch.recipes.append(recipe)


def _place(loc: tuple[int | str, ...]) -> str:
    words: list[str] = []
    for index, part in enumerate(loc):
        following = loc[index + 1] if index + 1 < len(loc) else None
        if isinstance(part, str) and isinstance(following, int):
            words.append(f"{_SINGULAR.get(part, part)} {following + 1}")
        elif isinstance(part, str):
            words.append(part.replace("_", " "))
    return ", ".join(words) or "the recipe"


def describe_validation_error(exc: ValidationError) -> str:
    """The first few problems of a recipe, each in one short phrase."""
    phrases = []
    for error in exc.errors(include_url=False)[:3]:
        place, ctx = _place(tuple(error["loc"])), error.get("ctx", {})
        if error["type"] == "missing":
            phrases.append(f"{place} is missing")
        elif error["type"] == "too_long" and "actual_length" in ctx:
            phrases.append(
                f"{place}: {ctx['actual_length']} given, at most {ctx['max_length']} allowed"
            )
        elif error["type"] == "string_too_long":
            phrases.append(f"{place} is longer than {ctx['max_length']} characters")
        elif error["type"] == "string_too_short":
            phrases.append(f"{place} is empty")
        else:
            message = str(error["msg"]).removeprefix("Value error, ")
            phrases.append(f"{place}: {message[:1].lower()}{message[1:]}")
    more = exc.error_count() - len(phrases)
    suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more > 0 else ""
    return "; ".join(phrases) + suffix


def load_json(data: bytes, what: str) -> Any:
    """Parse JSON text (UTF-8, with or without a byte-order mark)."""
    try:
        return json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ItemUnreadable(f"{what} is not valid JSON") from None


def clean_text(value: object) -> str | None:
    """Text with its ends trimmed, or None for anything that is not text or is blank."""
    if isinstance(value, str) and (text := value.strip()):
        return text
    return None


def join_text(parts: Iterable[str | None], separator: str = "\n\n") -> str | None:
    kept = [part for part in parts if part]
    return separator.join(kept) or None


def http_url(value: object) -> str | None:
    text = clean_text(value)
    if text and text.lower().startswith(("http://", "https://")) and len(text) <= 2048:
        return text
    return None


def name_of(value: object) -> str | None:
    """The name of a term as apps export it: a string, or an object with a ``name``."""
    if isinstance(value, Mapping):
        return clean_text(value.get("name"))
    return clean_text(value)


def term_names(values: object) -> list[str]:
    """Names from a list of strings or named objects, in order, each once (ignoring case)."""
    if isinstance(values, str):
        values = values.split(",")
    if not isinstance(values, list | tuple):
        return []
    names: dict[str, str] = {}
    for value in values:
        if (name := name_of(value)) is not None:
            names.setdefault(name.casefold(), name)
    return list(names.values())


def amount(value: object) -> Decimal | None:
    """An ingredient quantity within RecipeVault's bounds; zero means "no amount"."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        return None
    if not number.is_finite() or number <= 0 or number > MAX_AMOUNT:
        return None
    number = tidy_decimal(number, 4)
    return number if number > 0 else None


def rating(value: object) -> int | None:
    """A 1-5 star rating; 0 and anything unreadable mean "not rated"."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        stars = round(float(value))
    except (ValueError, OverflowError):
        return None
    return stars if 1 <= stars <= 5 else None


def looks_like_image(data: bytes) -> bool:
    """JPEG, PNG, GIF, WebP, AVIF or HEIC, judged by the first bytes, never by a name."""
    return (
        data.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a"))
        or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")
        or (data[4:8] == b"ftyp" and data[8:12] in (b"avif", b"avis", b"heic", b"heix", b"mif1"))
    )


def image_entry(archive: SafeArchive, name: str) -> ImageSource | None:
    """An archive member as an image, if it is small enough and its content is an image."""
    limits = archive.limits
    if name not in archive or archive.size(name) > min(
        limits.max_image_bytes, limits.max_entry_bytes
    ):
        return None
    data = archive.read(name)
    return ImageSource(data=data) if looks_like_image(data) else None


def image_data(data: bytes, max_bytes: int) -> ImageSource | None:
    if len(data) > max_bytes or not looks_like_image(data):
        return None
    return ImageSource(data=data)


def first(data: Mapping[str, Any], *keys: str) -> Any:
    """The first of ``keys`` that is present and not null (apps spell fields several ways)."""
    for key in keys:
        if data.get(key) is not None:
            return data[key]
    return None


def quantity_text(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def nutrition_fields(values: Mapping[str, object]) -> dict[str, str] | None:
    """Nutrition values as RecipeVault keeps them: short text, blanks left out."""
    fields = {}
    for key, value in values.items():
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, int | float | Decimal):
            value = quantity_text(amount(value)) or ("0" if value == 0 else None)
        if (text := clean_text(value)) is not None and len(text) <= 50:
            fields[key] = text
    return fields or None


def present(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The fields that have a value, so that a missing title reads as "title is missing"."""
    return {key: value for key, value in fields.items() if value is not None}
