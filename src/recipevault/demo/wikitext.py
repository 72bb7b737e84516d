"""Wiki markup out of recipe text: references, templates, links, list markers, image captions.

The demo recipes come from Wikibooks pages; what a cook should read is the words, not the
markup around them. Pure functions.
"""

from __future__ import annotations

import html
import re
import unicodedata
from typing import Any

# No single line of a recipe needs more; anything longer is cut at a word.
MAX_LINE_CHARS = 2_000

_REF = re.compile(r"<ref\b[^>]*/>|<ref\b[^>]*>.*?(?:</ref>|$)", re.IGNORECASE | re.DOTALL)
_BREAK = re.compile(r"<\s*/?\s*br\s*/?\s*>", re.IGNORECASE)
_TAG = re.compile(r"</?[a-zA-Z][^<>]*>")
_TEMPLATE = re.compile(r"\{\{(?:[^{}]|\{[^{]|\}[^}])*(?:\}\}|$)")
# [[target|label]] -> label; [[Namespace:Page]] -> Page.
_WIKILINK = re.compile(r"\[\[[^\]|]*\|([^\]]*)\]\]|\[\[(?:[^\]|:]*:)?([^\]|]*)\]\]")
_EXTLINK = re.compile(r"\[(?:https?:)?//[^\s\]]+(?:\s+([^\]]*))?\]")
_PIPED_ASIDE = re.compile(r"\(([^()|]+)\|([^()|]+)\)")  # a link whose brackets were lost
_LIST_MARKER = re.compile(r"^[*#:;]+\s*")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.;:!?)])")
# Image captions ("thumb|caption|300x300px") survived the upstream scrape glued onto step text.
_TRAILING_IMAGE = re.compile(r"(?<=[.!?])thumb\|.*$")
_IMAGE_SIZE = re.compile(r"^thumb\|.*\|\d+(?:x\d+)?px")
_GLUED_CAPTION = re.compile(r"^thumb\|[^|]*?[a-z](?=[A-Z])|^thumb(?=[A-Z])")
_NOT_A_LINE = re.compile(r"^\s*(?:\{\||\|\}|\|-|!|\[*\s*Category:)", re.IGNORECASE)
_INVISIBLE = {c: None for c in range(0x2000, 0x2070) if unicodedata.category(chr(c)) == "Cf"}
_INVISIBLE |= {0xFEFF: None, 0xAD: None}


def clean_text(raw: str) -> str:
    """Wikitext remnants to plain text: refs, tags, templates, links, emphasis, list markers."""
    # Bounds the regex work on hostile input; real lines are under 1,000 characters.
    text = raw[: 5 * MAX_LINE_CHARS].translate(_INVISIBLE)
    text = _BREAK.sub(" ", _REF.sub("", text))
    text = _TEMPLATE.sub("", _TAG.sub("", text))
    text = _EXTLINK.sub(r"\1", _WIKILINK.sub(r"\1\2", text))
    text = html.unescape(re.sub(r"'{2,}", "", text)).replace("\xa0", " ").strip()
    text = _TRAILING_IMAGE.sub("", text)
    if text.startswith("thumb"):
        caption = _IMAGE_SIZE.match(text) or _GLUED_CAPTION.match(text)
        text = text[caption.end() :] if caption else text
    text = _LIST_MARKER.sub("", text)
    # Unit-conversion templates left "()" and "(1 cup/)" behind when they were stripped upstream.
    text = re.sub(r"\s*/\s*\)", ")", re.sub(r"\(\s*\)", "", text))
    text = _PIPED_ASIDE.sub(r"(\2)", text)
    return _SPACE_BEFORE_PUNCT.sub(r"\1", " ".join(text.split()))


def truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0] or text[: limit - 1]
    return cut.rstrip(" ,;:") + "…"


def clean_lines(raw: Any) -> tuple[str, ...]:
    """Clean each line; drop blanks, table syntax, category links and lines with no words.

    A line over ``MAX_LINE_CHARS`` is cut at a word and ends in "…": the rest of the recipe is
    still good, and the mark shows the reader that something is missing.
    """
    if not isinstance(raw, list):
        return ()
    lines = (
        clean_text(item) for item in raw if isinstance(item, str) and not _NOT_A_LINE.match(item)
    )
    return tuple(truncate(line, MAX_LINE_CHARS) for line in lines if any(map(str.isalnum, line)))


def clean_category(raw: Any) -> str | None:
    """'Salad dressing recipes' -> 'Salad dressing'; values that are not a category -> None."""
    if not isinstance(raw, str):
        return None
    raw = clean_text(raw)
    text = re.sub(r"\s+recipes$", "", raw, flags=re.IGNORECASE)
    text = re.sub(r"^recipes\s+(?:for|using|with)\s+", "", text, flags=re.IGNORECASE)
    # Upstream sometimes put a duration, a title or a description in the category slot.
    if not text or text[0].isdigit() or (text == raw and len(text.split()) > 2):
        return None
    return text[0].upper() + text[1:]


# --- numbers, times and yields ------------------------------------------------------------------
