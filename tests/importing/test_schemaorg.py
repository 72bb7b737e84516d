from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from recipevault.importing.draft import NoRecipeFound
from recipevault.importing.schemaorg import (
    UNTITLED,
    clean_text,
    clip,
    images_from,
    ingredient_lines,
    names_from,
    parse_minutes,
    parse_yield,
    recipe_from_schema,
    steps_from,
)
from recipevault.recipes.schemas import MAX_INGREDIENTS, MAX_STEPS, MAX_TAGS, RecipeCreate

PAGE = "https://cooking.example/recipes/soup"


def recipe(**fields: Any) -> dict[str, Any]:
    return {
        "@type": "Recipe",
        "name": "Soup",
        "recipeIngredient": ["1 l water"],
        "recipeInstructions": "Boil.",
    } | fields


@pytest.mark.parametrize(
    ("value", "minutes"),
    [
        ("PT1H30M", 90),
        ("P0DT0H20M", 20),
        ("PT20M", 20),
        ("pt1h", 60),
        ("PT1.5H", 90),
        ("P1D", 1440),
        ("PT30S", 1),
        ("PT 45 M", 45),
        (45, 45),
        (12.5, 13),
        ("45", 45),
        ("1 hour 30 minutes", 90),
        ("1 hr 5 mins", 65),
        ("2 Std. 10 Min.", 130),
        ("1:30", 90),
        ("1h30", 90),
        ({"@type": "QuantitativeValue", "minValue": "PT5M", "maxValue": "PT10M"}, 10),
        (["", "PT15M"], 15),
        (10**400, None),
        (float("nan"), None),
        ("P" + "9" * 400 + "D", None),
        ("PT0S", None),
        ("PT0M", None),
        (0, None),
        (-5, None),
        ("P1000Y", None),
        ("soon", None),
        ("", None),
        (None, None),
        (True, None),
        ({"nothing": 1}, None),
    ],
)
def test_durations_read_as_minutes(value: Any, minutes: int | None) -> None:
    assert parse_minutes(value) == minutes


@pytest.mark.parametrize(
    ("value", "servings", "text"),
    [
        ("4 servings", Decimal(4), "4 servings"),
        ("Makes 24 cookies", Decimal(24), "Makes 24 cookies"),
        (["4", "4 servings"], Decimal(4), "4 servings"),
        (["4", "1 9-inch pie"], Decimal(4), "1 9-inch pie"),
        (6, Decimal(6), None),
        ("6", Decimal(6), None),
        ("5.75 gallons", Decimal("5.75"), "5.75 gallons"),
        ("Serves 4-6", Decimal(4), "Serves 4-6"),
        ("1 1/2 loaves", Decimal("1.5"), "1 1/2 loaves"),
        ("½ batch", Decimal("0.5"), "½ batch"),
        ("Makes:\n\n2 Servings", Decimal(2), "Makes: 2 Servings"),
        ("a big bowl", None, "a big bowl"),
        ("0", None, None),
        (20000, None, None),
        (10**400, None, None),
        (["", None], None, None),
        (None, None, None),
    ],
)
def test_yields_read_as_servings_and_text(
    value: Any, servings: Decimal | None, text: str | None
) -> None:
    assert parse_yield(value) == (servings, text)


def test_a_long_yield_is_cut_to_its_bound() -> None:
    _, text = parse_yield("Makes " + "plenty of " * 30 + "cookies")
    assert text is not None
    assert len(text) <= 100
    assert text.endswith("…")


def test_instructions_as_one_text_are_split_into_lines() -> None:
    steps = steps_from("Boil the water.\n\n  Add   the pasta.\r\nDrain.")
    assert [step.text for step in steps] == ["Boil the water.", "Add the pasta.", "Drain."]


def test_instructions_as_html_are_split_at_blocks_and_stripped() -> None:
    html = (
        "<ol><li>Heat <b>the</b> oven.</li><li>Bake&nbsp;20&amp;nbsp;min.</li></ol>"
        "<p>Cool<br>Serve</p>"
    )
    assert [step.text for step in steps_from(html)] == [
        "Heat the oven.",
        "Bake 20 min.",
        "Cool",
        "Serve",
    ]


def test_instructions_as_a_list_of_strings_are_one_step_each() -> None:
    steps = steps_from(["Mix &amp; knead.", "", "  Rest\n one hour. ", "<p>Bake.</p>"])
    assert [step.text for step in steps] == ["Mix & knead.", "Rest one hour.", "Bake."]
    assert all(step.section is None for step in steps)


def test_howto_steps_keep_their_text_and_timer() -> None:
    steps = steps_from(
        [
            {"@type": "HowToStep", "text": "Simmer.", "timeRequired": "PT10M"},
            {"@type": "HowToStep", "name": "Simmer gently", "text": "Simmer gently and stir."},
            {"@type": "HowToStep", "name": "Only a name"},
            {"@type": "HowToStep", "text": "Rest.", "timeRequired": "P30D"},
        ]
    )
    assert [(step.text, step.timer_minutes) for step in steps] == [
        ("Simmer.", 10),
        ("Simmer gently and stir.", None),
        ("Only a name", None),
        ("Rest.", None),
    ]


def test_a_step_name_that_differs_from_its_text_is_kept_as_a_line() -> None:
    steps = steps_from([{"@type": "HowToStep", "name": "Sauce", "text": "Whisk it all."}])
    assert [step.text for step in steps] == ["Sauce", "Whisk it all."]


def test_howto_sections_name_their_steps() -> None:
    steps = steps_from(
        [
            {
                "@type": "HowToSection",
                "name": "For the dough",
                "itemListElement": [
                    {"@type": "HowToStep", "text": "Mix."},
                    {"@type": "HowToStep", "text": "Knead."},
                ],
            },
            {
                "@type": ["HowToSection"],
                "name": "For the filling",
                "itemListElement": {"@type": "HowToStep", "text": "Stir."},
            },
            {"@type": "HowToStep", "text": "Bake."},
        ]
    )
    assert [(step.section, step.text) for step in steps] == [
        ("For the dough", "Mix."),
        ("For the dough", "Knead."),
        ("For the filling", "Stir."),
        (None, "Bake."),
    ]


def test_instructions_wrapped_in_an_item_list_are_read() -> None:
    value = {"@type": "ItemList", "itemListElement": [{"@type": "HowToStep", "text": "Go."}]}
    assert [step.text for step in steps_from(value)] == ["Go."]
    assert [step.text for step in steps_from([["One."], ["Two."]])] == ["One.", "Two."]


def test_steps_beyond_the_limit_are_dropped_and_long_ones_cut() -> None:
    steps = steps_from([f"Step {n}." for n in range(MAX_STEPS + 20)])
    assert len(steps) == MAX_STEPS
    (long,) = steps_from(["word " * 2000])
    assert len(long.text) <= 5000
    assert long.text.endswith("word…")
    (named,) = steps_from([{"@type": "HowToSection", "name": "x" * 300, "itemListElement": "Go."}])
    assert named.section is not None
    assert len(named.section) <= 100


def test_ingredient_lines_from_every_shape() -> None:
    assert ingredient_lines(["2 eggs", ["1 cup milk"], "", None, " salt &amp; pepper "]) == [
        "2 eggs",
        "1 cup milk",
        "salt & pepper",
    ]
    property_value = {"@type": "PropertyValue", "value": 200, "unitText": "g", "name": "flour"}
    assert ingredient_lines([property_value]) == ["200 g flour"]
    assert ingredient_lines("1 egg\n2 cups flour") == ["1 egg", "2 cups flour"]
    assert ingredient_lines(["1 cup oats ((or quinoa))"]) == ["1 cup oats (or quinoa)"]


def test_text_cleaning() -> None:
    assert clean_text("  Caf&eacute;&amp;amp;\u00a0<i>bar</i>\u200b  ") == "Café& bar"
    assert clean_text("less < more > less") == "less < more > less"
    assert clean_text(10**5000) == ""
    assert clean_text(None) == ""
    assert clean_text({"a": 1}) == ""
    assert clean_text(3) == "3"
    assert clip("one two three", 10) == "one two…"
    assert clip("short", 10) == "short"


def test_names_are_split_deduplicated_and_bounded() -> None:
    assert names_from("Quick, easy ,quick, , Dinner", 50) == ["Quick", "easy", "Dinner"]
    assert names_from(["Soup, Winter", "soup"], 50) == ["Soup", "Winter"]
    assert len(names_from([f"tag {n}" for n in range(80)], MAX_TAGS)) == MAX_TAGS
    assert names_from(["x" * 150], 5)[0].endswith("…")


def test_images_are_absolute_deduplicated_and_bounded() -> None:
    images = images_from(
        [
            "/img/a.jpg",
            {"@type": "ImageObject", "url": "https://cdn.example/b.jpg"},
            {"@type": "ImageObject", "contentUrl": "//cdn.example/c.jpg"},
            "https://cooking.example/img/a.jpg",
            "data:image/png;base64,AAAA",
            "javascript:alert(1)",
            *[f"https://cdn.example/{n}.jpg" for n in range(10)],
        ],
        PAGE,
    )
    assert [image.url for image in images] == [
        "https://cooking.example/img/a.jpg",
        "https://cdn.example/b.jpg",
        "https://cdn.example/c.jpg",
        "https://cdn.example/0.jpg",
        "https://cdn.example/1.jpg",
    ]
    assert images_from("relative.jpg", None) == []


def test_a_full_recipe_is_read() -> None:
    imported = recipe_from_schema(
        recipe(
            name=" Tomato &amp; Basil Soup ",
            description="<p>A <em>summer</em> soup.</p>",
            recipeYield=["4", "4 bowls"],
            prepTime="PT10M",
            cookTime="PT20M",
            recipeIngredient=["4 tomatoes", "1 bunch basil"],
            recipeInstructions=[{"@type": "HowToStep", "text": "Cook."}],
            nutrition={"@type": "NutritionInformation", "calories": 120, "fatContent": "3 g"},
            keywords="summer, soup, Summer",
            recipeCuisine="Italian",
            recipeCategory=["Soup", "Starter"],
            tool=[{"@type": "HowToTool", "name": "Blender"}, "Pot"],
            author=[{"@type": "Person", "name": "By Ada"}, {"@type": "Person", "name": "Bo"}],
            publisher={"@type": "Organization", "name": "Cooking Example"},
            image={"@type": "ImageObject", "url": "/soup.jpg"},
        ),
        url=PAGE,
    )
    data = imported.recipe
    assert data.title == "Tomato & Basil Soup"
    assert data.description == "A summer soup."
    assert (data.servings, data.yield_text) == (Decimal(4), "4 bowls")
    # No totalTime: left out, so the saved total is prep + cook and follows them.
    assert (data.prep_minutes, data.cook_minutes, data.total_minutes) == (10, 20, None)
    assert data.nutrition is not None
    assert (data.nutrition.calories, data.nutrition.fat_content) == ("120", "3 g")
    assert data.tags == ["summer", "soup", "Italian"]
    assert data.categories == ["Soup", "Starter"]
    assert data.tools == ["Blender", "Pot"]
    assert data.attribution == "Recipe by Ada, Bo, from Cooking Example"
    assert data.source_url == PAGE
    assert [i.text for i in data.ingredients] == ["4 tomatoes", "1 bunch basil"]
    assert [image.url for image in imported.images] == ["https://cooking.example/soup.jpg"]
    assert imported.source_format == "schema.org"


@pytest.mark.parametrize(
    ("fields", "url", "attribution"),
    [
        ({"author": "Ada"}, None, "Recipe by Ada"),
        ({"author": "Recipe courtesy of Ada"}, None, "Recipe by Ada"),
        (
            {"author": {"@type": "Person", "name": "Ada"}},
            PAGE,
            "Recipe by Ada, from cooking.example",
        ),
        ({"publisher": {"name": "Site"}}, None, "Recipe from Site"),
        ({"author": "Site", "publisher": {"name": "site"}}, None, "Recipe by Site"),
        ({}, "https://www.example.org/x", "Recipe from example.org"),
        ({}, None, None),
    ],
)
def test_attribution(fields: dict[str, Any], url: str | None, attribution: str | None) -> None:
    assert recipe_from_schema(recipe(**fields), url=url).recipe.attribution == attribution


def test_the_source_is_the_given_address_or_the_recipes_own() -> None:
    assert recipe_from_schema(recipe(url="https://a.example/r"), url=PAGE).recipe.source_url == PAGE
    own = recipe_from_schema(recipe(url="https://a.example/r")).recipe.source_url
    assert own == "https://a.example/r"
    assert recipe_from_schema(recipe(url="ftp://a.example/r")).recipe.source_url is None


def test_total_time_is_left_out_unless_the_page_gives_it() -> None:
    # Left out, the saved recipe's total is prep + cook, and follows them when they are edited.
    data = recipe_from_schema(recipe(prepTime="PT5M")).recipe
    assert (data.prep_minutes, data.cook_minutes, data.total_minutes) == (5, None, None)
    assert recipe_from_schema(recipe(totalTime="PT1H", prepTime="PT5M")).recipe.total_minutes == 60


def test_nutrition_values_are_cut_to_their_bound() -> None:
    nutrition = recipe_from_schema(
        recipe(nutrition={"calories": "very " * 30 + "many", "sugarContent": "", "bogus": "1"})
    ).recipe.nutrition
    assert nutrition is not None
    assert nutrition.calories is not None
    assert len(nutrition.calories) <= 50
    assert nutrition.sugar_content is None
    assert recipe_from_schema(recipe(nutrition="lots")).recipe.nutrition is None


def test_everything_oversized_is_clamped_to_the_bounds() -> None:
    imported = recipe_from_schema(
        recipe(
            name="Soup " * 100,
            description="word " * 2000,
            recipeYield="serves " * 40,
            recipeIngredient=[f"{n} g salt " + "x" * 600 for n in range(300)],
            recipeInstructions=[f"Step {n}" for n in range(300)],
            keywords=[f"k{n}" for n in range(100)],
            recipeCategory=[f"c{n}" for n in range(100)],
            tool=[f"t{n}" for n in range(100)],
            author="a" * 600,
            nutrition={"calories": "9" * 80},
            image=[f"https://img.example/{n}.jpg" for n in range(50)],
        ),
        url="https://example.com/" + "p" * 3000,
    )
    data = imported.recipe
    RecipeCreate.model_validate(data.model_dump())
    assert len(data.title) <= 200
    assert data.description is not None
    assert len(data.ingredients) == MAX_INGREDIENTS
    assert len(data.steps) == MAX_STEPS
    assert len(data.tags) == MAX_TAGS
    assert len(data.categories) == 20
    assert len(data.tools) == 30
    assert data.source_url is None
    assert len(imported.images) == 5


def test_a_recipe_without_a_name_gets_a_placeholder_title() -> None:
    assert recipe_from_schema(recipe(name=None)).recipe.title == UNTITLED
    assert recipe_from_schema(recipe(name=["", {"name": "Listed"}])).recipe.title == "Listed"


def test_an_empty_recipe_is_no_recipe() -> None:
    with pytest.raises(NoRecipeFound):
        recipe_from_schema({"@type": "Recipe", "recipeIngredient": [], "image": "x.jpg"})


def test_the_source_format_is_kept() -> None:
    assert recipe_from_schema(recipe(), source_format="nextcloud").source_format == "nextcloud"
