"""Readable differences between two versions of a recipe, field by field and line by line, with
the changed words marked inside a changed line. Pure: difflib over the fields people care about.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any, Literal

from recipevault.recipes.edit_form import DIFF_FIELDS, RecipeForm, form_from_document
from recipevault.recipes.page_text import nutrition_rows

LineKind = Literal["same", "removed", "added", "gap"]
HISTORY_FIELDS: tuple[tuple[str, str], ...] = (
    *DIFF_FIELDS,
    ("tools", "Tools"),
    ("nutrition", "Nutrition"),
)
CONTEXT_LINES = 2


@dataclass(frozen=True, slots=True)
class Segment:
    text: str
    changed: bool


@dataclass(frozen=True, slots=True)
class DiffLine:
    kind: LineKind
    segments: tuple[Segment, ...]

    @property
    def text(self) -> str:
        return "".join(segment.text for segment in self.segments)


@dataclass(frozen=True, slots=True)
class FieldChange:
    name: str
    label: str
    lines: tuple[DiffLine, ...]


def _whole(kind: LineKind, text: str) -> DiffLine:
    return DiffLine(kind, (Segment(text, changed=False),))


def _words(before: str, after: str) -> tuple[DiffLine, DiffLine]:
    """A line changed in place, with the words that differ marked on each side."""
    old, new = before.split(" "), after.split(" ")
    removed: list[Segment] = []
    added: list[Segment] = []
    matcher = SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        changed = tag != "equal"
        if i2 > i1:
            removed.append(Segment(" ".join(old[i1:i2]) + " ", changed))
        if j2 > j1:
            added.append(Segment(" ".join(new[j1:j2]) + " ", changed))
    return DiffLine("removed", _trimmed(removed)), DiffLine("added", _trimmed(added))


def _trimmed(segments: list[Segment]) -> tuple[Segment, ...]:
    if segments:
        last = segments[-1]
        segments[-1] = Segment(last.text.rstrip(" "), last.changed)
    return tuple(segments)


def diff_lines(
    before: list[str], after: list[str], *, context: int = CONTEXT_LINES
) -> list[DiffLine]:
    """Lines removed, added and (a few, around changes) kept; "gap" marks skipped lines."""
    matcher = SequenceMatcher(a=before, b=after, autojunk=False)
    lines: list[DiffLine] = []
    for number, group in enumerate(matcher.get_grouped_opcodes(context)):
        if number:
            lines.append(_whole("gap", "…"))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines.extend(_whole("same", line) for line in before[i1:i2])
            elif tag == "replace" and i2 - i1 == j2 - j1:
                pairs = [
                    _words(old, new) for old, new in zip(before[i1:i2], after[j1:j2], strict=True)
                ]
                lines.extend(line for pair in pairs for line in pair)
            else:
                lines.extend(_whole("removed", line) for line in before[i1:i2])
                lines.extend(_whole("added", line) for line in after[j1:j2])
    return lines


def diff_fields(
    before: Mapping[str, list[str]],
    after: Mapping[str, list[str]],
    fields: tuple[tuple[str, str], ...] = DIFF_FIELDS,
) -> list[FieldChange]:
    """The fields that differ, in page order."""
    changes = []
    for name, label in fields:
        old, new = list(before.get(name, [])), list(after.get(name, []))
        if old != new:
            changes.append(FieldChange(name, label, tuple(diff_lines(old, new))))
    return changes


def form_lines(form: RecipeForm) -> dict[str, list[str]]:
    return {name: form.lines(name) for name, _ in DIFF_FIELDS}


def document_lines(document: Mapping[str, Any]) -> dict[str, list[str]]:
    """A stored recipe (or revision snapshot) as lines per field, tools and nutrition included."""
    lines = form_lines(form_from_document(document))
    lines["tools"] = list(document.get("tools") or [])
    lines["nutrition"] = [f"{label}: {value}" for label, value in nutrition_rows(document)]
    return lines


def diff_documents(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[FieldChange]:
    return diff_fields(document_lines(before), document_lines(after), HISTORY_FIELDS)
