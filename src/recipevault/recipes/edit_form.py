"""The website's recipe form: what a person typed, the row buttons that work without JavaScript,
the API schema input it becomes, and the form a stored recipe starts as. Pure: no I/O.

Ingredient lines and steps arrive as parallel lists (``ingredient_section`` and
``ingredient_text`` once per row, in page order), so rows can be added, removed and moved in the
browser without renumbering anything. A row's section starts a group that holds until the next
row that names one, as in the API; blank rows are dropped when saving.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from itertools import zip_longest
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from recipevault.http.schemas import FORM, WEB_FORM
from recipevault.recipes.input_mapping import SCALARS, total_was_given
from recipevault.recipes.page_text import plain_number
from recipevault.recipes.schemas import MAX_INGREDIENTS, MAX_STEPS
from recipevault.web.forms import FORM_ERROR, field_errors

M = TypeVar("M", bound=BaseModel)

TEXT_FIELDS = (*SCALARS, "household_id")
TERM_FIELDS = ("tags", "categories")
# Optional fields whose blank input means "keep the default" rather than "clear it".
_DEFAULTED = frozenset({"visibility", "household_id"})
# A little room over the schema's limits, so an over-long recipe is reported, not cut short.
_MAX_ROWS = {"ingredient": MAX_INGREDIENTS + 20, "step": MAX_STEPS + 20}
_ROW_ACTION = re.compile(r"^(add|remove|up|down)-(ingredient|step)(?:-(\d{1,4}))?$")

# The fields people compare between versions, in page order, with their labels.
DIFF_FIELDS: tuple[tuple[str, str], ...] = (
    ("title", "Title"),
    ("description", "Description"),
    ("servings", "Servings"),
    ("yield_text", "Yield"),
    ("prep_minutes", "Preparation time (minutes)"),
    ("cook_minutes", "Cooking time (minutes)"),
    ("total_minutes", "Total time (minutes)"),
    ("ingredients", "Ingredients"),
    ("steps", "Steps"),
    ("notes", "Notes"),
    ("tags", "Tags"),
    ("categories", "Categories"),
    ("visibility", "Visibility"),
    ("rating", "Rating"),
    ("source_url", "Source address"),
    ("attribution", "Source credit"),
)


class MultiValues(Protocol):
    def getlist(self, key: Any) -> list[Any]: ...


@dataclass(slots=True)
class IngredientRow:
    section: str = ""
    text: str = ""


@dataclass(slots=True)
class StepRow:
    section: str = ""
    text: str = ""
    timer: str = ""


@dataclass
class RecipeForm:
    """The form's contents as strings, its rows, and one message per refused field. Errors on
    rows are keyed ``ingredients.<row>.text`` or ``steps.<row>.timer_minutes``."""

    values: dict[str, str] = field(default_factory=dict)
    ingredients: list[IngredientRow] = field(default_factory=list)
    steps: list[StepRow] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    # The version the form was loaded from, for saving with If-Match.
    etag: str = ""
    version: str = ""

    # The interface of ``web.forms.Form`` that the shared field macros use.
    def value(self, name: str, default: str = "") -> str:
        return self.values.get(name) or default

    def selected(self, name: str) -> list[str]:
        return [self.values[name]] if self.values.get(name) else []

    def error(self, name: str) -> str | None:
        return self.errors.get(name)

    @property
    def ok(self) -> bool:
        return not self.errors

    def rows_for_display(self) -> RecipeForm:
        """The form with one blank ingredient line and step when it has none, so there is
        always somewhere to type."""
        return replace(
            self,
            ingredients=self.ingredients or [IngredientRow()],
            steps=self.steps or [StepRow()],
        )

    def lines(self, name: str) -> list[str]:
        """A field as lines of text, the way a person compares two versions of it."""
        if name == "ingredients":
            return _grouped_lines((row.section, row.text) for row in self.ingredients)
        if name == "steps":
            return _grouped_lines(
                (row.section, _step_line(row.text, row.timer)) for row in self.steps
            )
        if name in TERM_FIELDS:
            return split_terms(self.values.get(name, ""))
        return [line.rstrip() for line in self.values.get(name, "").strip().splitlines()]


def _step_line(text: str, timer: str) -> str:
    line = " ".join(text.split())
    return f"{line} (timer: {timer.strip()} min)" if line and timer.strip() else line


def _grouped_lines(rows: Any) -> list[str]:
    lines: list[str] = []
    current: str | None = None
    for section, text in rows:
        section = (section or "").strip() or current
        if not text.strip():
            current = section
            continue
        if section and section != current:
            lines.append(f"{section}:")
        current = section
        lines.append(text.strip())
    return lines


def split_terms(value: str) -> list[str]:
    """Comma-separated terms, blanks dropped, the first spelling of each kept."""
    seen: dict[str, str] = {}
    for term in value.split(","):
        term = " ".join(term.split())
        if term and term.casefold() not in seen:
            seen[term.casefold()] = term
    return list(seen.values())


def _strings(data: MultiValues, name: str, limit: int) -> list[str]:
    values = [item for item in data.getlist(name) if isinstance(item, str)]
    return [value.replace("\r\n", "\n") for value in values[:limit]]


def read_recipe_form(data: MultiValues) -> tuple[RecipeForm, str]:
    """The submitted form, and the button that sent it ("save" when none was named)."""
    values = {}
    for name in (*TEXT_FIELDS, *TERM_FIELDS):
        submitted = _strings(data, name, 1)
        if submitted:
            values[name] = submitted[0]
    limit = _MAX_ROWS["ingredient"]
    ingredients = [
        IngredientRow(section=section, text=text)
        for section, text in zip_longest(
            _strings(data, "ingredient_section", limit),
            _strings(data, "ingredient_text", limit),
            fillvalue="",
        )
    ]
    limit = _MAX_ROWS["step"]
    steps = [
        StepRow(section=section, text=text, timer=timer)
        for section, text, timer in zip_longest(
            _strings(data, "step_section", limit),
            _strings(data, "step_text", limit),
            _strings(data, "step_timer", limit),
            fillvalue="",
        )
    ]
    form = RecipeForm(
        values=values,
        ingredients=ingredients,
        steps=steps,
        etag=next(iter(_strings(data, "etag", 1)), ""),
        version=next(iter(_strings(data, "version", 1)), ""),
    )
    action = next(iter(_strings(data, "action", 1)), "") or "save"
    return form, action


def apply_row_action(form: RecipeForm, action: str) -> bool:
    """Carry out an add/remove/up/down button ("remove-ingredient-3"); False if ``action``
    is not one. Out-of-range rows are ignored: the page may be older than the form."""
    match = _ROW_ACTION.match(action)
    if match is None:
        return False
    verb, kind, index_text = match.groups()
    rows: list[Any] = form.ingredients if kind == "ingredient" else form.steps
    if verb == "add":
        if len(rows) < _MAX_ROWS[kind]:
            rows.append(IngredientRow() if kind == "ingredient" else StepRow())
        return True
    if index_text is None:
        return True
    index = int(index_text)
    if not 0 <= index < len(rows):
        return True
    if verb == "remove":
        del rows[index]
    elif verb == "up" and index > 0:
        rows[index - 1], rows[index] = rows[index], rows[index - 1]
    elif verb == "down" and index < len(rows) - 1:
        rows[index + 1], rows[index] = rows[index], rows[index + 1]
    return True


@dataclass(frozen=True)
class _Input:
    data: dict[str, Any]
    # Which form row each ingredient and step of ``data`` came from (blank rows are dropped).
    ingredient_rows: list[int]
    step_rows: list[int]


def _model_input(form: RecipeForm) -> _Input:
    data: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        raw = form.values.get(name, "")
        value = raw.strip() if name not in ("description", "notes") else raw.strip("\n\r ")
        if name == "title":
            data[name] = value
        elif value or name not in _DEFAULTED:
            data[name] = value or None
    for name in TERM_FIELDS:
        data[name] = split_terms(form.values.get(name, ""))
    ingredients, ingredient_rows = [], []
    pending: str | None = None
    for index, row in enumerate(form.ingredients):
        section = row.section.strip() or None
        if not row.text.strip():
            pending = section or pending  # a heading typed on a row of its own
            continue
        ingredients.append({"text": row.text.strip(), "section": section or pending})
        ingredient_rows.append(index)
        pending = None
    steps, step_rows = [], []
    pending = None
    for index, step in enumerate(form.steps):
        section = step.section.strip() or None
        if not step.text.strip() and not step.timer.strip():
            pending = section or pending
            continue
        steps.append(
            {
                "text": step.text.strip(),
                "section": section or pending,
                "timer_minutes": step.timer.strip() or None,
            }
        )
        step_rows.append(index)
        pending = None
    data["ingredients"] = ingredients
    data["steps"] = steps
    return _Input(data, ingredient_rows, step_rows)


def _error_key(location: tuple[int | str, ...], built: _Input) -> str:
    if not location:
        return FORM_ERROR
    name = str(location[0])
    if name in ("ingredients", "steps") and len(location) > 1 and isinstance(location[1], int):
        rows = built.ingredient_rows if name == "ingredients" else built.step_rows
        row = rows[location[1]] if location[1] < len(rows) else location[1]
        part = str(location[2]) if len(location) > 2 else "text"
        return f"{name}.{row}.{part}"
    return name


def _messages(exc: ValidationError, built: _Input) -> dict[str, str]:
    """One message per field or row input, worded as the rest of the site's forms word them
    (``web.forms.field_errors``, given each error under the key of the input it belongs to)."""
    keyed = []
    for error in exc.errors(include_url=False):
        detail: dict[str, Any] = {
            "type": error["type"],
            "loc": (_error_key(error["loc"], built),),
            "input": error.get("input"),
        }
        if "ctx" in error:
            detail["ctx"] = error["ctx"]
        keyed.append(detail)
    return field_errors(ValidationError.from_exception_data(exc.title, keyed))  # type: ignore[arg-type]


def validate_recipe_form(form: RecipeForm, schema: type[M]) -> M | None:
    """The schema's model, or None with ``form.errors`` filled in."""
    built = _model_input(form)
    try:
        model = schema.model_validate(built.data, context={FORM: WEB_FORM})
    except ValidationError as exc:
        form.errors = _messages(exc, built)
        return None
    form.errors = {}
    return model


def form_from_document(document: Mapping[str, Any]) -> RecipeForm:
    """The form as a stored recipe document (or revision snapshot) fills it in."""

    def text(name: str) -> str:
        value = document.get(name)
        return "" if value is None else str(value)

    values = {name: text(name) for name in TEXT_FIELDS if name not in ("servings",)}
    values["servings"] = plain_number(document.get("servings"))
    if not total_was_given(document):
        values["total_minutes"] = ""  # left empty, it keeps following preparation and cooking
    household = document.get("household")
    values["household_id"] = str(household["id"]) if household else ""
    for name in TERM_FIELDS:
        values[name] = ", ".join(document.get(name) or [])
    ingredients, previous = [], None
    for line in document.get("ingredients") or []:
        section = line.get("section")
        shown = section if section and section != previous else ""
        ingredients.append(IngredientRow(section=shown or "", text=line["text"]))
        previous = section
    steps, previous = [], None
    for step in document.get("steps") or []:
        section = step.get("section")
        shown = section if section and section != previous else ""
        timer = step.get("timer_minutes")
        steps.append(
            StepRow(
                section=shown or "", text=step["text"], timer="" if timer is None else str(timer)
            )
        )
        previous = section
    return RecipeForm(values=values, ingredients=ingredients, steps=steps)


@dataclass(frozen=True)
class Merge:
    form: RecipeForm
    # Fields both you and the other person changed: yours were kept, theirs are shown.
    both_changed: list[str]


def merge_forms(base: RecipeForm, current: RecipeForm, yours: RecipeForm) -> Merge:
    """Your changes (``yours`` against ``base``, the version you loaded) re-applied on top of
    ``current``: every field you changed takes your value, every other field keeps theirs."""
    merged = RecipeForm(
        values=dict(current.values),
        ingredients=list(current.ingredients),
        steps=list(current.steps),
        etag=current.etag,
        version=current.version,
    )
    both: list[str] = []
    for name, _label in DIFF_FIELDS:
        mine = yours.lines(name)
        if mine == base.lines(name):
            continue
        theirs = current.lines(name)
        if theirs != base.lines(name) and theirs != mine:
            both.append(name)
        if name == "ingredients":
            merged.ingredients = list(yours.ingredients)
        elif name == "steps":
            merged.steps = list(yours.steps)
        else:
            merged.values[name] = yours.values.get(name, "")
    if yours.values.get("household_id"):
        merged.values["household_id"] = yours.values["household_id"]
    return Merge(form=merged, both_changed=both)
