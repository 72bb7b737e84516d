"""Typos: the words of a text as the search keeps them, and which of them a misspelt word
may have meant. Pure logic; ``search.words`` stores the words and looks them up.

A word is compared with the words the recipes hold by edit distance, counting a swap of two
neighbouring letters as one edit ("chikcen"), like a missing ("choclate"), doubled
("chocollate") or wrong ("chiclen") letter. How many edits a word may be away from what it
meant grows with its length, as in common spelling correctors: none up to 2 letters, one up to
5, two from 6.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from rapidfuzz.distance import OSA

# Letters only, as the index splits words (digits and underscores part them; numbers are never
# corrected).
_LETTERS = re.compile(r"[^\W\d_]+", re.UNICODE)
MIN_LENGTH = 3
MAX_LENGTH = 40
"""Words kept for correcting: shorter ones are mostly noise, longer ones are not words."""


def plain(text: str) -> str:
    """Lower case without accents, as the index compares words ("crème" is "creme")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def words_of(texts: Iterable[str]) -> set[str]:
    """The distinct words of these texts that a misspelling may be corrected to."""
    return {
        word
        for text in texts
        for word in _LETTERS.findall(plain(text))
        if MIN_LENGTH <= len(word) <= MAX_LENGTH
    }


def grams(word: str) -> set[str]:
    """The word's trigrams, padded with a space at each end ("chiken": " ch", "chi", ...,
    "en "): a word one edit away shares all but at most three of them."""
    padded = f" {word} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def max_edits(word: str) -> int:
    if len(word) < 3 or not word.isalpha():
        return 0
    return 1 if len(word) <= 5 else 2


def closest(word: str, candidates: Iterable[str]) -> list[list[str]]:
    """The candidates within ``max_edits`` of the word, grouped by distance, nearest group
    first, each group in alphabetical order. The word itself is never among them."""
    limit = max_edits(word)
    groups: dict[int, set[str]] = {}
    for candidate in candidates:
        if candidate == word:
            continue
        distance = OSA.distance(word, candidate, score_cutoff=limit)
        if distance <= limit:
            groups.setdefault(distance, set()).add(candidate)
    return [sorted(groups[distance]) for distance in sorted(groups)]
