from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from recipevault.importing import extract
from recipevault.importing.draft import NoRecipeFound, SourceRejected
from recipevault.importing.extract import extract_recipes, extract_schema_recipes, recipe_nodes

URL = "https://blog.example/soup/"


def recipe(name: str = "Soup", **fields: Any) -> dict[str, Any]:
    return {
        "@context": "https://schema.org",
        "@type": "Recipe",
        "name": name,
        "recipeIngredient": ["1 l water", "1 onion"],
        "recipeInstructions": [{"@type": "HowToStep", "text": "Boil."}],
    } | fields


def page(*scripts: Any, head: str = "", body: str = "") -> str:
    tags = "".join(
        f'<script type="application/ld+json">{s if isinstance(s, str) else json.dumps(s)}</script>'
        for s in scripts
    )
    return f"<!doctype html><html><head>{head}{tags}</head><body>{body}</body></html>"


def titles(html: str, url: str | None = URL) -> list[str]:
    return [imported.recipe.title for imported in extract_recipes(html, url=url)]


def test_a_json_ld_recipe_is_read() -> None:
    (imported,) = extract_recipes(page(recipe(recipeYield="4 servings")), url=URL)
    assert imported.recipe.title == "Soup"
    assert [i.text for i in imported.recipe.ingredients] == ["1 l water", "1 onion"]
    assert [s.text for s in imported.recipe.steps] == ["Boil."]
    assert imported.recipe.servings == Decimal(4)
    assert imported.recipe.source_url == URL
    assert imported.source_format == "schema.org"


def test_a_graph_with_references_is_resolved() -> None:
    graph = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebSite", "@id": f"{URL}#website", "name": "Blog Example"},
            {"@type": ["WebPage", "FAQPage"], "@id": URL, "name": "Soup - Blog Example"},
            {"@type": "Person", "@id": f"{URL}#ada", "name": "Ada"},
            {"@type": "ImageObject", "@id": f"{URL}#image", "url": "/img/soup.jpg"},
            recipe(author={"@id": f"{URL}#ada"}, image={"@id": f"{URL}#image"}),
        ],
    }
    (imported,) = extract_recipes(page(graph), url=URL)
    assert imported.recipe.attribution == "Recipe by Ada, from Blog Example"
    assert [image.url for image in imported.images] == ["https://blog.example/img/soup.jpg"]


@pytest.mark.parametrize(
    "script",
    [
        recipe() | {"@type": ["Recipe", "NewsArticle"]},
        recipe() | {"@type": "http://schema.org/Recipe"},
        {"@type": "WebPage", "mainEntity": recipe()},
        {"@type": "ItemList", "itemListElement": [{"@type": "ListItem", "item": recipe()}]},
        [{"@type": "BreadcrumbList"}, recipe()],
    ],
)
def test_a_recipe_is_found_wherever_it_is_nested(script: Any) -> None:
    assert titles(page(script)) == ["Soup"]


def test_every_recipe_of_a_page_is_returned() -> None:
    html = page(
        recipe("Soup"),
        {"@graph": [recipe("Bread"), recipe("Salad")]},
        {
            "@type": "ItemList",
            "itemListElement": [recipe("Bread"), {"@type": "Recipe", "name": "Teaser"}],
        },
    )
    assert titles(html) == ["Soup", "Bread", "Salad"]
    assert len(extract_schema_recipes(html, url=URL)) == 3


MICRODATA = """<html><body><div itemscope itemtype="http://schema.org/Recipe">
<h1 itemprop="name">Pancakes</h1>
<img itemprop="image" src="/p.jpg">
<span itemprop="recipeYield">Makes 8</span><meta itemprop="totalTime" content="PT25M">
<ul><li itemprop="recipeIngredient">2 eggs</li><li itemprop="recipeIngredient">1 cup milk</li></ul>
<ol><li itemprop="recipeInstructions">Whisk.</li><li itemprop="recipeInstructions">Fry.</li></ol>
<div itemprop="author" itemscope itemtype="http://schema.org/Person">
<span itemprop="name">Bo</span></div>
</div></body></html>"""


@pytest.mark.parametrize("read", [extract_recipes, extract_schema_recipes])
def test_a_microdata_recipe_is_read(read: Any) -> None:
    (imported,) = read(MICRODATA, url="https://pancakes.example/p")
    data = imported.recipe
    assert data.title == "Pancakes"
    assert [i.text for i in data.ingredients] == ["2 eggs", "1 cup milk"]
    assert [s.text for s in data.steps] == ["Whisk.", "Fry."]
    assert (data.servings, data.yield_text, data.total_minutes) == (Decimal(8), "Makes 8", 25)
    assert data.attribution == "Recipe by Bo, from pancakes.example"
    assert imported.images[0].url == "https://pancakes.example/p.jpg"


def test_a_recipe_in_json_ld_and_microdata_is_read_once() -> None:
    script = json.dumps(recipe("Pancakes", description="Fluffy."))
    html = MICRODATA.replace(
        "<body>", f'<body><script type="application/ld+json">{script}</script>'
    )
    (imported,) = extract_recipes(html, url="https://pancakes.example/p")
    assert imported.recipe.description == "Fluffy."
    assert imported.recipe.total_minutes == 25


def test_broken_json_ld_is_forgiven_or_skipped() -> None:
    lenient = "<!--\n" + json.dumps(recipe("Lenient"))[:-1] + ', "keywords": "a",}\n-->'
    html = page("{not json", lenient, "[" * 5000, recipe("Fine"))
    assert titles(html) == ["Lenient", "Fine"]


def test_section_headings_of_steps_are_kept() -> None:
    steps = [
        {"@type": "HowToSection", "name": "Dough", "itemListElement": ["Mix.", "Knead."]},
        {"@type": "HowToSection", "name": "Filling", "itemListElement": ["Stir."]},
    ]
    (imported,) = extract_recipes(page(recipe(recipeInstructions=steps)), url=URL)
    assert [(s.section, s.text) for s in imported.recipe.steps] == [
        ("Dough", "Mix."),
        ("Dough", "Knead."),
        ("Filling", "Stir."),
    ]


def test_ingredient_groups_of_a_recipe_plugin_become_sections() -> None:
    groups = """
    <div class="wprm-recipe-ingredient-group"><h4 class="wprm-recipe-group-name">Dough</h4>
    <ul><li class="wprm-recipe-ingredient">2 cups flour</li>
    <li class="wprm-recipe-ingredient">1 egg</li></ul></div>
    <div class="wprm-recipe-ingredient-group"><h4 class="wprm-recipe-group-name">Filling</h4>
    <ul><li class="wprm-recipe-ingredient">1 apple</li></ul></div>"""
    ingredients = ["2 cups flour", "1 egg", "1 apple"]
    html = page(recipe(recipeIngredient=ingredients), body=groups)
    (imported,) = extract_recipes(html, url=URL)
    assert [(i.section, i.text) for i in imported.recipe.ingredients] == [
        ("Dough", "2 cups flour"),
        ("Dough", "1 egg"),
        ("Filling", "1 apple"),
    ]


class SiteScraper:
    """Stands for a site-specific scraper of recipe-scrapers."""

    def title(self) -> str:
        return "Soup, the site's way"

    def ingredients(self) -> list[str]:
        return ["1 litre water", "1 onion"]

    def instructions_list(self) -> list[str]:
        return ["Dough", "Mix."]

    def yields(self) -> str:
        return "4 servings"

    def image(self) -> str:
        return "https://cdn.example/best.jpg"

    def author(self) -> str:
        raise RuntimeError("not on this site")


def test_a_sites_own_rules_win_over_its_schema_data(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(extract, "scrape_html", lambda *args, **kwargs: SiteScraper())
    steps = [{"@type": "HowToSection", "name": "Dough", "itemListElement": ["Mix."]}]
    script = recipe(recipeInstructions=steps, recipeYield="Makes 4 bowls", image="/soup.jpg")
    (imported,) = extract_recipes(page(script), url="https://www.allrecipes.com/recipe/1/soup")
    data = imported.recipe
    assert data.title == "Soup, the site's way"
    assert [i.text for i in data.ingredients] == ["1 litre water", "1 onion"]
    assert [(s.section, s.text) for s in data.steps] == [("Dough", "Mix.")]
    assert data.yield_text == "Makes 4 bowls"
    assert [image.url for image in imported.images] == [
        "https://cdn.example/best.jpg",
        "https://www.allrecipes.com/soup.jpg",
    ]


def test_the_schema_data_is_read_when_recipe_scrapers_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def fail(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(extract, "scrape_html", fail)
    assert titles(page(recipe())) == ["Soup"]


def test_an_unexpected_failure_is_reported_plainly(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: Any, **kwargs: Any) -> None:
        raise KeyError("internal detail")

    monkeypatch.setattr(extract, "_page_nodes", fail)
    with pytest.raises(SourceRejected, match=r"^this page could not be read as a recipe$"):
        extract_recipes(page(recipe()), url=URL)


def test_the_canonical_address_is_the_source() -> None:
    head = '<link rel="canonical" href="/soup/"><meta property="og:site_name" content="Blog">'
    html = page(recipe(image="img/soup.jpg"), head=head)
    (imported,) = extract_recipes(html, url="https://blog.example/soup/?utm_source=x")
    assert imported.recipe.source_url == URL
    assert imported.recipe.attribution == "Recipe from Blog"
    assert imported.images[0].url == "https://blog.example/soup/img/soup.jpg"


@pytest.mark.parametrize(
    ("url", "source"),
    [
        ("blog.example/soup/", URL),
        ("/soup/", None),
        (None, None),
        ("javascript:alert(1)", None),
    ],
)
def test_the_given_address_is_used_when_absolute(url: str | None, source: str | None) -> None:
    (imported,) = extract_recipes(page(recipe()), url=url)
    assert imported.recipe.source_url == source


def test_pasted_html_finds_its_address_in_the_page() -> None:
    head = '<meta property="og:url" content="https://blog.example/soup/">'
    (imported,) = extract_recipes(page(recipe(image="/s.jpg"), head=head))
    assert imported.recipe.source_url == URL
    assert imported.images[0].url == "https://blog.example/s.jpg"


@pytest.mark.parametrize(
    "pasted",
    [
        json.dumps(recipe()),
        json.dumps([{"@type": "WebSite"}, recipe()]),
        json.dumps({"@context": "https://schema.org", "@graph": [recipe()]}),
        json.dumps({"name": "Soup", "recipeIngredient": ["1 l water"]}),
        "  \n" + json.dumps(recipe()),
        f'<script type="application/ld+json">{json.dumps(recipe())}</script>',
    ],
)
def test_pasted_json_ld_is_read(pasted: str) -> None:
    assert titles(pasted, url=None) == ["Soup"]


def test_pasted_json_keeps_the_given_address() -> None:
    (imported,) = extract_recipes(json.dumps(recipe(image="/s.jpg")), url=URL)
    assert imported.recipe.source_url == URL
    assert imported.images[0].url == "https://blog.example/s.jpg"


def test_pasted_text_that_is_not_json_is_rejected() -> None:
    with pytest.raises(SourceRejected, match="not valid JSON"):
        extract_recipes('{"@type": "Recipe", "name": ')


def test_pasted_json_without_a_recipe_is_no_recipe() -> None:
    with pytest.raises(NoRecipeFound, match="pasted JSON"):
        extract_recipes(json.dumps({"@type": "WebPage", "name": "Home"}))


def test_a_page_without_a_recipe_is_no_recipe() -> None:
    html = page({"@type": "Article", "name": "News"}, body="<p>Nothing to cook.</p>")
    with pytest.raises(NoRecipeFound, match=r"^no recipe found on this page$"):
        extract_recipes(html, url=URL)


def test_a_recipe_without_ingredients_or_steps_is_no_recipe() -> None:
    with pytest.raises(NoRecipeFound):
        extract_recipes(page({"@type": "Recipe", "name": "Teaser", "image": "x.jpg"}), url=URL)


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "   \n",
        "null",
        "[]",
        "{}",
        "42",
        "[" * 100_000,
        '{"a":' * 50_000,
        "\x00\xff\ufffd binary \x1b[0m",
        "<<<>>><script type=application/ld+json>",
        "http://example.com/recipe",
        "<html><body>" + "<div>" * 5000 + "</body></html>",
        page({"@type": "Recipe", "name": [[["x"] * 3] * 3], "recipeIngredient": {"a": {"b": 1}}}),
        page({"@type": "Recipe", "recipeInstructions": 5, "recipeIngredient": 7, "name": 3}),
        page({"@type": "Recipe", "@id": "#r", "author": {"@id": "#r"}, "recipeIngredient": ["x"]}),
        MICRODATA.replace("itemscope", "itemscope itemref='x'", 1)[:300],
    ],
)
def test_garbage_is_rejected_or_has_no_recipe(garbage: str) -> None:
    try:
        recipes = extract_recipes(garbage, url=URL)
    except SourceRejected:
        return
    assert all(imported.recipe.title for imported in recipes)


def test_recipe_nodes_reads_parsed_json_ld() -> None:
    nodes = recipe_nodes({"@graph": [{"@type": "Organization", "name": "Org"}, recipe()]})
    assert [node["name"] for node in nodes] == ["Soup"]
    assert nodes[0]["publisher"] == {"name": "Org"}
    assert recipe_nodes(None) == []
