"""Import requests: where recipes come from, and what to do with what is already there."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from recipevault.config import Settings
from recipevault.http.schemas import Id, InputModel, OutputModel
from recipevault.policy import Visibility
from recipevault.recipes.schemas import RecipeRead, WebAddress

MAX_PASTE = 5 * 1024 * 1024
# The request carrying a paste: room for its JSON or form encoding on top of the text.
MAX_PASTE_BODY = 2 * MAX_PASTE
# One address of a bulk import as a request carries it at worst: the longest address the
# schema takes, form-encoded (``:`` and ``/`` take three bytes each), and its separator.
BULK_ADDRESS_BYTES = 3 * 2048 + 16
OnDuplicate = Literal["ask", "update", "copy"]


class ImportOptions(InputModel):
    household_id: Id | None = Field(
        default=None, description="Household the recipes go to (default: your own)"
    )
    visibility: Visibility | None = Field(
        default=None, description="Who may see the recipes (default: what the source says)"
    )
    on_duplicate: OnDuplicate = Field(
        default="ask",
        description=(
            "When you already imported a page: `ask` refuses with 409 and names the recipe, "
            "`update` updates it (a new revision), `copy` imports another copy"
        ),
    )


class UrlImport(ImportOptions):
    url: WebAddress


def bulk_import_body(settings: Settings) -> int:
    """The body limit of a bulk import: as many addresses as it may hold, at their longest."""
    return max(settings.request_max_bytes, settings.bulk_import_max_urls * BULK_ADDRESS_BYTES)


class BulkImport(ImportOptions):
    urls: list[WebAddress] = Field(min_length=1, description="At most 500 addresses")


class HtmlImport(ImportOptions):
    html: str = Field(
        min_length=1, max_length=MAX_PASTE, description="A page's HTML, or schema.org JSON-LD"
    )
    url: WebAddress | None = Field(default=None, description="The page's address, if known")


class HtmlImportRead(OutputModel):
    recipes: list[RecipeRead]
