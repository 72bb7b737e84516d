"""The pure pieces behind the recipe pages: the form and its rows, merging an edit onto a newer
version, differences between versions, display helpers and JSON-LD."""

from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.datastructures import FormData

from recipevault.recipes.edit_form import (
    IngredientRow,
    RecipeForm,
    StepRow,
    apply_row_action,
    form_from_document,
    merge_forms,
    read_recipe_form,
    split_terms,
    validate_recipe_form,
)
from recipevault.recipes.page_text import (
    ingredient_sections,
    iso_duration,
    minutes_text,
    servings_text,
    step_sections,
)
from recipevault.recipes.revision_diff import diff_documents, diff_lines
from recipevault.recipes.schemas import RecipeCreate, RecipeUpdate
from recipevault.recipes.structured_data import recipe_json_ld, script_json


def _document(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "slug": "soup",
        "title": "Soup",
        "description": None,
        "servings": 2.5,
        "yield_text": None,
        "prep_minutes": 5,
        "cook_minutes": None,
        "total_minutes": 65,
        "notes": None,
        "source_url": None,
        "attribution": None,
        "rating": None,
        "visibility": "public",
        "version": 1,
        "tags": ["quick"],
        "categories": [],
        "tools": [],
        "nutrition": None,
        "owner": {"id": 1, "display_name": "Olive"},
        "household": {"id": 7, "name": "Flat"},
        "ingredients": [
            {"text": "4 tomatoes", "section": "Base", "quantity": 4, "food": "tomato",
             "display": "4", "unit": None, "size": None, "note": None, "optional": False},
            {"text": "1 onion", "section": "Base", "quantity": 1, "food": "onion",
             "display": "1", "unit": None, "size": None, "note": None, "optional": False},
            {"text": "salt to taste", "section": "Seasoning", "quantity": None, "food": "salt",
             "display": "", "unit": None, "size": None, "note": "to taste", "optional": False},
        ],
        "steps": [
            {"text": "Chop.", "section": None, "timer_minutes": None},
            {"text": "Simmer.", "section": "Cook", "timer_minutes": 20},
        ],
        "created_at": "2026-11-22T10:00:00+00:00",
        "updated_at": "2026-11-22T10:00:00+00:00",
    }  # fmt: skip
    return document | changes


# --- The form -------------------------------------------------------------------------------


def test_terms_are_comma_separated_and_deduplicated() -> None:
    assert split_terms(" soup, Quick ,, soup ,  quick  dinner") == ["soup", "Quick", "quick dinner"]


def test_a_submitted_form_pairs_its_rows_and_names_its_button() -> None:
    data = FormData(
        [
            ("title", "Soup"),
            ("ingredient_section", "Base"),
            ("ingredient_text", "4 tomatoes"),
            ("ingredient_text", "1 onion"),
            ("step_text", "Chop."),
            ("step_timer", "5"),
            ("action", "up-step-0"),
        ]
    )
    form, action = read_recipe_form(data)
    assert form.ingredients == [IngredientRow("Base", "4 tomatoes"), IngredientRow("", "1 onion")]
    assert form.steps == [StepRow("", "Chop.", "5")]
    assert action == "up-step-0"
    assert read_recipe_form(FormData([("title", "Soup")]))[1] == "save"


@pytest.mark.parametrize(
    ("action", "texts"),
    [
        ("add-ingredient", ["a", "b", "c", ""]),
        ("remove-ingredient-0", ["b", "c"]),
        ("up-ingredient-2", ["a", "c", "b"]),
        ("down-ingredient-2", ["a", "b", "c"]),
        ("down-ingredient-7", ["a", "b", "c"]),
        ("remove-ingredient", ["a", "b", "c"]),
    ],
)
def test_row_actions(action: str, texts: list[str]) -> None:
    form = RecipeForm(ingredients=[IngredientRow(text=t) for t in "abc"])
    assert apply_row_action(form, action)
    assert [row.text for row in form.ingredients] == texts


def test_other_buttons_are_not_row_actions() -> None:
    form = RecipeForm()
    assert not apply_row_action(form, "save")
    assert not apply_row_action(form, "remove-everything-1")


def test_validation_points_at_the_row_people_typed_in() -> None:
    form = RecipeForm(
        values={"title": "Soup"},
        ingredients=[
            IngredientRow(text=""),
            IngredientRow(section="Base"),
            IngredientRow(text="x" * 501),
        ],
        steps=[StepRow(text="", timer="5"), StepRow(text="Boil.", timer="0")],
    )
    assert validate_recipe_form(form, RecipeCreate) is None
    assert form.errors == {
        "ingredients.2.text": "Use at most 500 characters.",
        "steps.0.text": "This field is required.",
        "steps.1.timer_minutes": "Input should be greater than or equal to 1.",
    }


def test_a_section_on_a_row_of_its_own_heads_the_next_line() -> None:
    form = RecipeForm(
        values={"title": "Soup"},
        ingredients=[IngredientRow(section="Base"), IngredientRow(text="4 tomatoes")],
    )
    data = validate_recipe_form(form, RecipeCreate)
    assert data is not None
    assert [(i.section, i.text) for i in data.ingredients] == [("Base", "4 tomatoes")]


def test_a_blank_field_clears_it_on_edit_but_visibility_stays() -> None:
    form = RecipeForm(values={"title": "Soup", "description": "", "visibility": ""})
    data = validate_recipe_form(form, RecipeUpdate)
    assert data is not None
    assert "description" in data.model_fields_set
    assert data.description is None
    assert "visibility" not in data.model_fields_set


def test_a_document_fills_the_form_and_saves_back_the_same() -> None:
    form = form_from_document(_document())
    assert form.values["servings"] == "2.5"
    assert form.values["household_id"] == "7"
    assert form.values["tags"] == "quick"
    assert [(row.section, row.text) for row in form.ingredients] == [
        ("Base", "4 tomatoes"),
        ("", "1 onion"),
        ("Seasoning", "salt to taste"),
    ]
    assert [(row.section, row.timer) for row in form.steps] == [("", ""), ("Cook", "20")]
    data = validate_recipe_form(form, RecipeUpdate)
    assert data is not None
    assert data.ingredients is not None
    assert [(i.section, i.text) for i in data.ingredients] == [
        ("Base", "4 tomatoes"),
        (None, "1 onion"),  # the service carries "Base" on
        ("Seasoning", "salt to taste"),
    ]


def test_merging_keeps_their_fields_and_applies_yours() -> None:
    base = form_from_document(_document())
    current = form_from_document(_document(title="Tomato soup", notes="Theirs", version=2))
    current.etag, current.version = '"new"', "2"
    yours = form_from_document(_document(description="Mine", notes="Mine too"))
    merged = merge_forms(base, current, yours)
    assert merged.form.values["title"] == "Tomato soup"
    assert merged.form.values["description"] == "Mine"
    assert merged.form.values["notes"] == "Mine too"
    assert (merged.form.etag, merged.form.version) == ('"new"', "2")
    assert merged.both_changed == ["notes"]


# --- Differences ------------------------------------------------------------------------------


def test_diff_marks_changed_words_and_skips_far_unchanged_lines() -> None:
    before = [f"line {n}" for n in range(10)]
    after = [*before]
    after[1] = "line one"
    after[8] = "line eight"
    lines = diff_lines(before, after, context=1)
    kinds = [line.kind for line in lines]
    assert kinds == ["same", "removed", "added", "same", "gap", "same", "removed", "added", "same"]
    removed = lines[1]
    assert [(s.text, s.changed) for s in removed.segments] == [("line ", False), ("1", True)]


def test_document_diff_covers_fields_people_read() -> None:
    before = _document()
    after = _document(
        title="Tomato soup",
        tools=["pot"],
        nutrition={"calories": "90 kcal"},
        steps=[{"text": "Chop finely.", "section": None, "timer_minutes": None}],
    )
    changes = {change.name: change for change in diff_documents(before, after)}
    assert list(changes) == ["title", "steps", "tools", "nutrition"]
    assert [(line.kind, line.text) for line in changes["steps"].lines] == [
        ("removed", "Chop."),
        ("removed", "Cook:"),
        ("removed", "Simmer. (timer: 20 min)"),
        ("added", "Chop finely."),
    ]
    assert [line.kind for line in changes["nutrition"].lines] == ["added"]


# --- Display and JSON-LD --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minutes", "text", "iso"),
    [
        (0, "0 min", "PT0M"),
        (45, "45 min", "PT45M"),
        (60, "1 h", "PT1H"),
        (95, "1 h 35 min", "PT1H35M"),
        (1440 + 30, "1 d 30 min", "P1DT30M"),
        (2880, "2 d", "P2D"),
    ],
)
def test_times(minutes: int, text: str, iso: str) -> None:
    assert minutes_text(minutes) == text
    assert iso_duration(minutes) == iso


def test_servings_read_like_a_cook_writes_them() -> None:
    assert servings_text(2.5) == "2½"
    assert servings_text(None) is None


def test_ingredients_show_as_written_until_scaled() -> None:
    document = _document()
    written = ingredient_sections(document, changed=False)
    assert [s.title for s in written] == ["Base", "Seasoning"]
    assert [(line.amount, line.text) for line in written[0].items] == [
        ("", "4 tomatoes"),
        ("", "1 onion"),
    ]
    scaled = ingredient_sections(
        _document(ingredients=[{**document["ingredients"][0], "display": "8"}]), changed=True
    )
    assert [(line.amount, line.text) for line in scaled[0].items] == [("8", "tomatoes")]


def test_steps_are_numbered_across_sections() -> None:
    sections = step_sections(_document())
    assert [(s.title, s.start) for s in sections] == [(None, 1), ("Cook", 2)]


def test_json_ld_is_a_schema_org_recipe() -> None:
    data = recipe_json_ld(_document(), url="https://example.org/recipes/soup")
    assert data["@type"] == "Recipe"
    assert data["totalTime"] == "PT1H5M"
    assert data["recipeYield"] == "2.5"
    assert data["recipeInstructions"] == [
        {"@type": "HowToStep", "text": "Chop."},
        {
            "@type": "HowToSection",
            "name": "Cook",
            "itemListElement": [{"@type": "HowToStep", "text": "Simmer."}],
        },
    ]
    assert "description" not in data  # empty fields are left out
    assert "image" not in data


def test_json_ld_names_the_widest_rendition_of_each_image() -> None:
    document = {
        **_document(),
        "images": [
            {"id": 1, "urls": {"320": "/media/a/320-x.webp", "960": "/media/a/960-y.webp"}},
            {"id": 2, "urls": {"320": "/media/b/320-z.webp"}},
        ],
    }
    data = recipe_json_ld(document, url="https://example.org/recipes/soup")
    assert data["image"] == [
        "https://example.org/media/a/960-y.webp",
        "https://example.org/media/b/320-z.webp",
    ]


def test_json_for_a_script_element_escapes_markup_characters() -> None:
    dumped = str(script_json({"a": "</script><!-- & \u2028"}))
    assert "<" not in dumped
    assert ">" not in dumped
    assert "&" not in dumped
    assert json.loads(dumped) == {"a": "</script><!-- & \u2028"}
