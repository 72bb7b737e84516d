"""How the shopping pages are put together: a list's open items grouped by aisle, the op ids
the page's forms carry, what was offered but not added, and the forms whose shape is the
page's own.

The routes are in ``pages``; the rules stay in the services.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from markupsafe import Markup, escape
from pydantic import Field

from recipevault.http.pagination import InvalidCursor, decode_cursor, encode_cursor
from recipevault.http.schemas import Flag, Id, InputModel
from recipevault.recipes.schemas import Servings
from recipevault.shopping.lines import Line
from recipevault.shopping.schemas import Aisle, ItemNote, ItemText, OpId

PAGE = "/shopping"
NO_AISLE = "Other"
REASONS = {"o": "optional", "t": "to taste", "s": "staple"}
_OFFERED = re.compile(r"^(\d{1,12})\.(\d{1,5})\.([ots])$")
MAX_OFFERED = 200


def list_url(list_id: int, **query: str | int | Sequence[str] | None) -> str:
    """The page of a list, with the store it is walked in and the like."""
    shown = {name: value for name, value in query.items() if value not in (None, "", [], ())}
    return f"{PAGE}/{list_id}" + (f"?{urlencode(shown, doseq=True)}" if shown else "")


def new_op_prefix() -> str:
    """The start of the op ids of one rendering of a page: each form adds what it does to it
    ("…-c12": check off item 12), so that the same form sent twice is the same operation."""
    return uuid.uuid4().hex


# --- The list, aisle by aisle --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AisleGroup:
    name: str
    lines: list[Line]

    @property
    def id(self) -> str:
        return "aisle-" + re.sub(r"[^a-z0-9]+", "-", self.name.casefold()).strip("-")


def by_aisle(open_lines: Iterable[Line]) -> list[AisleGroup]:
    """Open lines (already in the order a store is walked) in runs of one aisle each."""
    groups: list[AisleGroup] = []
    for line in open_lines:
        name = line.item.aisle or NO_AISLE
        if groups and groups[-1].name.casefold() == name.casefold():
            groups[-1].lines.append(line)
        else:
            groups.append(AisleGroup(name, [line]))
    return groups


def checked_cursor(line: Line) -> str | None:
    """Where the page of checked items older than ``line`` starts."""
    at = line.item.checked_at
    return None if at is None else encode_cursor({"at": at.isoformat(), "id": line.item.id})


def checked_before(cursor: str) -> tuple[dt.datetime, int]:
    values = decode_cursor(cursor, keys=("at", "id"))
    try:
        moment = dt.datetime.fromisoformat(str(values["at"]))
    except ValueError:
        raise InvalidCursor() from None
    if moment.tzinfo is None:
        raise InvalidCursor()
    return moment, int(values["id"])


# --- Lines offered but not added -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OfferedRef:
    """A recipe's line offered rather than added, as the page's address carries it
    ("42.3.s": recipe 42, its line at position 3, a staple)."""

    recipe_id: int
    position: int
    reason: str

    @property
    def token(self) -> str:
        return f"{self.recipe_id}.{self.position}.{self.reason[0]}"

    @property
    def key(self) -> str:
        return f"{self.recipe_id}.{self.position}"


def offered_refs(tokens: Sequence[str]) -> list[OfferedRef]:
    """The offered lines an address names; what does not read as one is left out."""
    found: dict[str, OfferedRef] = {}
    for token in tokens[:MAX_OFFERED]:
        match = _OFFERED.match(token)
        if match is not None:
            ref = OfferedRef(int(match[1]), int(match[2]), REASONS[match[3]])
            found.setdefault(ref.key, ref)
    return list(found.values())


# --- Forms whose shape is the page's own ---------------------------------------------------

# An op id with room, within ``OP_ID_LENGTH``, for what the route adds to it (the item, the
# number of a line).
ShortOpId = Annotated[str, Field(min_length=1, max_length=48, pattern=r"^[A-Za-z0-9._:-]+$")]


class CheckForm(InputModel):
    """Check an item off, or put it back (``checked`` false: the undo). One form serves
    every item of a page: the operation's id is its op id and the item's."""

    checked: Flag
    op_id: ShortOpId


class ItemForm(InputModel):
    """An item's edit form: its text as typed (read again when changed), note and aisle; a
    blank note or aisle clears it."""

    text: ItemText
    note: ItemNote | None = None
    aisle: Aisle | None = None
    op_id: OpId


class OpForm(InputModel):
    op_id: OpId


class OfferedForm(InputModel):
    """Lines offered and now wanted too, each "recipe id.position": each is an operation of
    its own, its op id the form's with the line's number."""

    line: Annotated[
        list[Annotated[str, Field(pattern=r"^\d{1,12}\.\d{1,5}$")]],
        Field(min_length=1, max_length=MAX_OFFERED),
    ]
    op_id: ShortOpId


class RecipeChoiceForm(InputModel):
    """ "Add to shopping list" from a recipe's page: which list, and servings."""

    list_id: Id
    recipe_id: Id
    servings: Servings | None = None
    op_id: OpId


# --- Rows of a list --------------------------------------------------------------------------

_ROW = (
    '<li class="shop-item{checked_class}" id="item-{id}">'
    '<button type="submit" form="item-{form}" formaction="/shopping/{list_id}/items/{id}/check"'
    ' class="shop-item__button" data-item="{id}">'
    '<span class="shop-item__box" aria-hidden="true"></span><span class="shop-item__body">'
    '<span class="shop-item__text"><span class="visually-hidden">{does} </span>{text}</span>'
    "{amounts}{note}</span></button>"
    '<a class="shop-item__edit" href="/shopping/{list_id}/items/{id}">Edit'
    '<span class="visually-hidden"> {text}</span></a></li>'
)


def item_rows(list_id: int, shown: Iterable[Line]) -> Markup:
    """The lines' rows: for each, a big button that checks it off (or, checked, puts it back)
    by sending one of the forms of ``shopping/_check_forms.html``, with its text as the reader
    reads it, the amounts that could not be added up and its note; and a link to edit it.
    Built here rather than in a template: a list has thousands of lines, and a template's loop
    costs about twice as much per row as formatting one string (``Markup.format``, which
    escapes as it goes, four times as much: each text is escaped here instead)."""
    rows = []
    for line in shown:
        item, merged = line.item, line.merged
        amounts = note = ""
        if merged.amounts:
            added = escape(", ".join(merged.amounts))
            amounts = f'<span class="shop-item__amounts">Not added up: {added}</span>'
        if item.note:
            note = f'<span class="shop-item__note">{escape(item.note)}</span>'
        rows.append(
            _ROW.format(
                checked_class=" shop-item--checked" if item.checked else "",
                id=item.id,
                form="uncheck" if item.checked else "check",
                list_id=list_id,
                does="Put back" if item.checked else "Check off",
                text=escape(merged.text),
                amounts=amounts,
                note=note,
            )
        )
    return Markup("\n".join(rows))  # noqa: S704 - every text in it is escaped above
