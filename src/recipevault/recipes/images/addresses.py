"""Where a recipe image's renditions are served: ``/media/{token}/{width}.webp``.

The token is 128 random bits given to each image when it is uploaded or imported; it says
nothing of the picture, the recipe or the owner, so having the same photo, or counting ids,
does not find anyone's address. Storage keys (which hold ids and a hash of the content) are
never shown.

An image of a public recipe is served to anyone and may be kept by any cache for a year; the
token is then marked as public. An image of any other recipe is served only to those who may
read the recipe, checked on every request, and never kept by a shared cache. Since a public
address may sit in caches that nobody can empty, a recipe that stops being public (made private
or household-only, or trashed) gives its images new tokens the next time its document is built:
the old addresses stop working at once, and the new ones were never public.
"""

from __future__ import annotations

import re
import secrets

from recipevault.media.serving import MEDIA_PATH
from recipevault.policy import Visibility
from recipevault.recipes.models import Recipe

TOKEN_BYTES = 16
ADDRESS = re.compile(rf"([0-9a-f]{{{2 * TOKEN_BYTES}}})/([1-9][0-9]{{0,4}})\.webp")
"""What follows ``/media/`` in an image's address: its token and the rendition's width."""


def new_token() -> str:
    return secrets.token_hex(TOKEN_BYTES)


def image_url(token: str, width: int) -> str:
    """The address of one rendition (relative to the site)."""
    return f"{MEDIA_PATH}/{token}/{width}.webp"


def is_public(recipe: Recipe) -> bool:
    return recipe.visibility == Visibility.PUBLIC and recipe.deleted_at is None


def follow_visibility(recipe: Recipe) -> None:
    """Give the recipe's images the tokens its visibility calls for; its images are loaded."""
    public = is_public(recipe)
    for image in recipe.images:
        if public:
            image.token_public = True
        elif image.token_public:
            image.token = new_token()
            image.token_public = False
