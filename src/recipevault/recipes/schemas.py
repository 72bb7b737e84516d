"""Recipe request and response bodies, with the bounds every field has."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from recipevault.http.pagination import CURSOR_DESCRIPTION, CURSOR_PATTERN, MAX_CURSOR_LENGTH
from recipevault.http.schemas import (
    NOT_NULL,
    WHITE_SPACE,
    Flag,
    Id,
    InputModel,
    OutputModel,
    document_body,
)
from recipevault.policy import Visibility
from recipevault.recipes.models import ImageStatus

MAX_INGREDIENTS = 200
MAX_STEPS = 100
MAX_TAGS = 50
MAX_IMAGES = 30
MAX_MINUTES = 60 * 24 * 365


def _minutes(description: str | None = None) -> Any:
    return Field(default=None, ge=0, le=MAX_MINUTES, description=description)


MINUTES = _minutes()
TOTAL_MINUTES = _minutes(
    "Given, it is kept as given (it may include resting time). Left out or null, it is "
    "`prep_minutes` + `cook_minutes`, and follows them whenever either changes."
)
PATCHED_TOTAL_MINUTES = _minutes(
    "A number is kept as given; null makes it `prep_minutes` + `cook_minutes` again. Left out, "
    "a given total stays, and a derived one follows a change to either."
)


_HTTP_URL = re.compile(rf"[Hh][Tt][Tt][Pp][Ss]?://[^\x00{WHITE_SPACE}]")


def http_url(value: str | None) -> str | None:
    if value is not None and not _HTTP_URL.match(value):
        raise ValueError("must be an http:// or https:// address")
    return value


# The schema says what ``http_url`` checks, before trimming (it names the rule when refusing).
WebAddress = Annotated[
    str,
    Field(
        min_length=1,
        max_length=2048,
        json_schema_extra={"pattern": rf"^[{WHITE_SPACE}]*{_HTTP_URL.pattern}[^\x00]*$"},
    ),
    AfterValidator(http_url),
]


Name = Annotated[str, Field(min_length=1, max_length=100)]
Section = Annotated[str | None, Field(default=None, max_length=100)]


def _to_places(places: int) -> AfterValidator:
    """Round to the places the database keeps (a third of a cup is 0.3333), rather than refuse
    what a client computed."""
    step = Decimal(1).scaleb(-places)

    def rounded(value: Decimal) -> Decimal:
        # Only what has more places: 2.5 stays 2.5, not 2.500.
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -places:
            return value.quantize(step, rounding=ROUND_HALF_EVEN)
        return value

    return AfterValidator(rounded)


Amount = Annotated[Decimal, Field(ge=0, le=1_000_000), _to_places(4)]
# The least that stays above nothing once rounded.
Servings = Annotated[Decimal, Field(ge=Decimal("0.001"), le=10_000), _to_places(3)]


class Nutrition(InputModel):
    """schema.org NutritionInformation, per serving, as text with units ("240 kcal", "3 g")."""

    serving_size: str | None = Field(default=None, max_length=50)
    calories: str | None = Field(default=None, max_length=50)
    carbohydrate_content: str | None = Field(default=None, max_length=50)
    cholesterol_content: str | None = Field(default=None, max_length=50)
    fat_content: str | None = Field(default=None, max_length=50)
    fiber_content: str | None = Field(default=None, max_length=50)
    protein_content: str | None = Field(default=None, max_length=50)
    saturated_fat_content: str | None = Field(default=None, max_length=50)
    sodium_content: str | None = Field(default=None, max_length=50)
    sugar_content: str | None = Field(default=None, max_length=50)
    trans_fat_content: str | None = Field(default=None, max_length=50)
    unsaturated_fat_content: str | None = Field(default=None, max_length=50)


def _text_or_food(schema: dict[str, Any]) -> None:
    document_body(schema)
    schema["anyOf"] = [
        {"required": [name], "properties": {name: {"type": "string"}}} for name in ("text", "food")
    ]


class IngredientIn(InputModel):
    """A line as text ("2 cups flour, sifted"), or its parts; text alone is parsed."""

    model_config = ConfigDict(json_schema_extra=_text_or_food)

    text: str | None = Field(default=None, min_length=1, max_length=500)
    section: Section = None
    quantity: Amount | None = None
    quantity_max: Amount | None = None
    unit: str | None = Field(default=None, min_length=1, max_length=50)
    food: str | None = Field(default=None, min_length=1, max_length=100)
    size: str | None = Field(default=None, max_length=100)
    note: str | None = Field(default=None, max_length=500)
    optional: Flag = False

    @model_validator(mode="after")
    def _text_or_food(self) -> IngredientIn:
        if self.text is None and self.food is None:
            raise ValueError("give the line's text, or at least its food")
        if (
            self.quantity_max is not None
            and self.quantity is not None
            and self.quantity_max < self.quantity
        ):
            raise ValueError("quantity_max must not be below quantity")
        return self


class StepIn(InputModel):
    text: str = Field(min_length=1, max_length=5000)
    section: Section = None
    timer_minutes: int | None = Field(default=None, ge=1, le=60 * 24 * 7)


class RecipeFields(InputModel):
    description: str | None = Field(default=None, max_length=5000)
    servings: Servings | None = None
    yield_text: str | None = Field(default=None, max_length=100)
    prep_minutes: int | None = MINUTES
    cook_minutes: int | None = MINUTES
    total_minutes: int | None = TOTAL_MINUTES
    notes: str | None = Field(default=None, max_length=20_000)
    nutrition: Nutrition | None = None
    source_url: WebAddress | None = None
    attribution: str | None = Field(default=None, max_length=500)
    rating: int | None = Field(default=None, ge=1, le=5)
    tags: list[Name] = Field(default_factory=list, max_length=MAX_TAGS)
    categories: list[Name] = Field(default_factory=list, max_length=20)
    tools: list[Name] = Field(default_factory=list, max_length=30)
    ingredients: list[IngredientIn] = Field(default_factory=list, max_length=MAX_INGREDIENTS)
    steps: list[StepIn] = Field(default_factory=list, max_length=MAX_STEPS)


class RecipeCreate(RecipeFields):
    title: str = Field(min_length=1, max_length=200)
    visibility: Visibility = Visibility.HOUSEHOLD
    household_id: Id | None = Field(default=None, description="Defaults to your personal household")


class RecipeUpdate(InputModel):
    """PATCH: every field optional; only those given change (lists are replaced whole, and
    null empties them). A recipe always has a title and a visibility: they may be left out,
    but not set to null."""

    title: Annotated[str | None, NOT_NULL] = Field(default=None, min_length=1, max_length=200)
    visibility: Annotated[Visibility | None, NOT_NULL] = None
    household_id: Id | None = None
    description: str | None = Field(default=None, max_length=5000)
    servings: Servings | None = None
    yield_text: str | None = Field(default=None, max_length=100)
    prep_minutes: int | None = MINUTES
    cook_minutes: int | None = MINUTES
    total_minutes: int | None = PATCHED_TOTAL_MINUTES
    notes: str | None = Field(default=None, max_length=20_000)
    nutrition: Nutrition | None = None
    source_url: WebAddress | None = None
    attribution: str | None = Field(default=None, max_length=500)
    rating: int | None = Field(default=None, ge=1, le=5)
    tags: list[Name] | None = Field(default=None, max_length=MAX_TAGS)
    categories: list[Name] | None = Field(default=None, max_length=20)
    tools: list[Name] | None = Field(default=None, max_length=30)
    ingredients: list[IngredientIn] | None = Field(default=None, max_length=MAX_INGREDIENTS)
    steps: list[StepIn] | None = Field(default=None, max_length=MAX_STEPS)


class PersonRef(OutputModel):
    id: int
    display_name: str


class HouseholdRef(OutputModel):
    id: int
    name: str


class PackageSize(OutputModel):
    """How much one can, jar or package of a line holds ("1 (14 oz) can": 14 ounce)."""

    quantity: float
    unit: str = Field(description="A mass or volume unit: 'ounce', 'gram', 'fluid_ounce' ...")


class IngredientRead(OutputModel):
    text: str
    section: str | None
    quantity: float | None
    quantity_max: float | None
    unit: str | None
    food: str | None
    size: str | None = Field(description="A package's size or a size word, as written")
    package: PackageSize | None = Field(
        default=None,
        description="`size` read as an amount when it is one; converted with `units`, and "
        "never scaled: scaling changes how many packages, not their size",
    )
    note: str | None
    optional: bool
    display: str = Field(description="The amount as a cook reads it: '1½ cups', '750 g'")


class StepRead(OutputModel):
    text: str
    section: str | None
    timer_minutes: int | None


class ImageRef(OutputModel):
    """A ready image of a recipe: its WebP renditions by width, and the widest one's size."""

    id: int
    width: int
    height: int
    urls: dict[int, str] = Field(description="Rendition addresses by width, narrowest first")


class RecipeRead(OutputModel):
    id: int
    slug: str
    title: str
    description: str | None
    servings: float | None
    yield_text: str | None
    prep_minutes: int | None
    cook_minutes: int | None
    total_minutes: int | None
    total_minutes_given: bool | None = Field(
        default=None,
        description="True when `total_minutes` was given (it may include resting time) and "
        "stays as given; false when it is `prep_minutes` + `cook_minutes`, recomputed whenever "
        "either changes. Absent from recipes not saved since this was recorded.",
    )
    notes: str | None
    nutrition: Nutrition | None
    source_url: str | None
    attribution: str | None
    rating: int | None
    visibility: Visibility
    version: int
    owner: PersonRef
    household: HouseholdRef | None
    tags: list[str]
    categories: list[str]
    tools: list[str]
    ingredients: list[IngredientRead]
    steps: list[StepRead]
    images: list[ImageRef] = Field(
        default_factory=list, description="Ready images, the primary one first"
    )
    units: Literal["original", "metric", "us"] = "original"
    created_at: datetime
    updated_at: datetime


class RecipeSummary(OutputModel):
    id: int
    slug: str
    title: str
    description: str | None
    servings: float | None
    total_minutes: int | None
    rating: int | None
    visibility: Visibility
    owner: PersonRef
    tags: list[str]
    categories: list[str]
    image: str | None = Field(
        default=None, description="The primary image's narrowest rendition, when it is ready"
    )
    created_at: datetime
    updated_at: datetime


class RecipePage(OutputModel):
    """A page of recipes; a search also says how many recipes match it in all."""

    items: list[RecipeSummary]
    next: str | None
    total: int | None = Field(
        default=None,
        description="With `q`: how many recipes you may see match the words and the filters, "
        "on every page. Absent without `q`.",
    )


Sort = Literal["relevance", "title", "created", "updated", "total_time", "rating"]
Terms = Annotated[list[Name], Field(default_factory=list, max_length=10)]


class RecipeListQuery(BaseModel):
    """The query string of `GET /api/v1/recipes` (and the website's search page)."""

    model_config = ConfigDict(frozen=True)

    q: str | None = Field(default=None, max_length=200, description="Words to search for")
    tag: Terms
    category: Terms
    tool: Terms
    food: Terms
    exclude_food: Terms
    max_total_minutes: int | None = Field(default=None, ge=0, le=525_600)
    min_rating: int | None = Field(default=None, ge=1, le=5)
    owner: Id | None = None
    household: Id | None = None
    visibility: Visibility | None = None
    sort: Sort | None = None
    limit: int = Field(default=20, ge=1, le=100)
    cursor: str | None = Field(
        default=None,
        max_length=MAX_CURSOR_LENGTH,
        pattern=CURSOR_PATTERN,
        description=CURSOR_DESCRIPTION,
    )


class RecipeViewQuery(BaseModel):
    """How `GET /api/v1/recipes/{id}` presents a recipe: scaled and/or converted."""

    model_config = ConfigDict(frozen=True)

    servings: Decimal | None = Field(default=None, gt=0, le=10_000)
    scale: Decimal | None = Field(default=None, gt=0, le=100)
    units: Literal["metric", "us"] | None = None

    @property
    def changes_anything(self) -> bool:
        return self.servings is not None or self.scale is not None or self.units is not None


class CookWithRequest(InputModel):
    foods: list[Name] = Field(min_length=1, max_length=50)
    limit: int = Field(default=20, ge=1, le=100)


class CookWithMatch(RecipeSummary):
    have: int = Field(description="Ingredient foods you have")
    need: int = Field(description="Ingredient foods the recipe uses")
    coverage: float


class RevisionSummary(OutputModel):
    number: int
    author: PersonRef | None
    created_at: datetime
    changed_fields: list[str]


class RevisionRead(RevisionSummary):
    recipe: dict[str, object]


class RecipeImageRead(OutputModel):
    id: int
    position: int = Field(description="The order of the recipe's images; 0 is the primary one")
    status: ImageStatus = Field(
        description="`pending` until its renditions are made, then `ready` (or `failed`)"
    )
    width: int = Field(description="As displayed, after the camera's orientation is applied")
    height: int
    urls: dict[int, str] = Field(description="Rendition addresses by width, once ready")
    error: str | None = Field(description="Why the image could not be processed")


class ImageOrder(InputModel):
    image_ids: list[Id] = Field(
        min_length=1, max_length=MAX_IMAGES, description="Every image of the recipe, in order"
    )
