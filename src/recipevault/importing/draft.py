"""What every import source produces: a recipe ready to create, and where its images are."""

from __future__ import annotations

from dataclasses import dataclass, field

from recipevault.jobs.runner import ItemRefused
from recipevault.recipes.schemas import RecipeCreate


@dataclass(frozen=True, slots=True)
class ImageSource:
    """One image of an imported recipe: an address to fetch, or bytes read from a file."""

    url: str | None = None
    data: bytes | None = None

    def __post_init__(self) -> None:
        if (self.url is None) == (self.data is None):
            raise ValueError("an image source has either a url or data")


@dataclass(slots=True)
class ImportedRecipe:
    """A recipe read from some source, validated against the same bounds as the API."""

    recipe: RecipeCreate
    images: list[ImageSource] = field(default_factory=list)
    # "schema.org", "mealie", "tandoor", "paprika", "nextcloud", "recipevault"
    source_format: str = "schema.org"


@dataclass(frozen=True, slots=True)
class ImportFailure:
    """One item of a source that could not be read, said so a person understands it."""

    item: str
    message: str


class ItemUnreadable(Exception):
    """One recipe of a file cannot be used; the message says why in plain words."""


class SourceRejected(ItemRefused):
    """The whole source is unusable (an unknown format, a zip bomb, a refused address).

    The message is shown to the person who started the import, so it says what was wrong in
    plain words and never includes a traceback.
    """


class NoRecipeFound(SourceRejected):
    """The page or file was read, but it holds no recipe."""

    def __init__(self, message: str = "no recipe found on this page") -> None:
        super().__init__(message)
