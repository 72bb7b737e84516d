"""The shopping pages, driven as a browser without JavaScript would: the lists by household,
making, renaming and deleting one; a list's page (aisles, a store's order, the reader's units),
check-off and its undo, quick add, editing and removing an item, clearing what is checked, the
older checked items, a recipe and the week's plan with what they offered, and "Add to
shopping list" from a recipe. Bad input comes back beside its field (422) with what was typed;
a form sent twice changes nothing twice; another household's list does not exist (404)."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from recipevault.accounts.models import UnitSystem
from recipevault.clock import utcnow
from recipevault.recipes.schemas import IngredientIn
from recipevault.shopping import service
from recipevault.shopping.stores import service as stores
from tests.shopping.conftest import LISTS, HeadersFor
from tests.shopping.test_additions_api import PANCAKE_LINES, _recipe
from tests.support.database import statements_run
from tests.support.html import field_error, flashes, input_value
from tests.support.world import World, actor_for, sign_in

HTMX = {"HX-Request": "true"}


async def _open(client: httpx.AsyncClient, url: str, status: int = 200) -> str:
    response = await client.get(url)
    assert response.status_code == status, response.text[-800:]
    return response.text


async def _post(client: httpx.AsyncClient, token: str, url: str, **form: Any) -> httpx.Response:
    return await client.post(url, data={"csrf_token": token, **form})


def _location(response: httpx.Response) -> str:
    assert response.status_code == 303, response.text[-800:]
    return str(response.headers["location"])


async def _done(client: httpx.AsyncClient, token: str, url: str, **form: Any) -> str:
    """Send a form that is done (303), and the page it leads to."""
    return await _open(client, _location(await _post(client, token, url, **form)))


async def _read(client: httpx.AsyncClient, as_: HeadersFor, list_id: int) -> dict[str, Any]:
    read = await client.get(f"{LISTS}/{list_id}", headers=as_("member"))
    assert read.status_code == 200, read.text
    body: dict[str, Any] = read.json()
    return body


def _open_texts(page: str) -> list[str]:
    """The open items' texts, in the order the page shows them."""
    opened = page.split('id="open-items"', 1)[1].split('id="checked"', 1)[0]
    return _texts(opened)


def _checked_texts(page: str) -> list[str]:
    return _texts(page.split('id="checked"', 1)[1].split("</details>", 1)[0])


def _texts(part: str) -> list[str]:
    found = re.findall(
        r'<span class="shop-item__text"><span class="visually-hidden">[^<]*</span>([^<]*)</span>',
        part,
    )
    return [html.unescape(text) for text in found]


def _op(page: str, action: str) -> str:
    """The op id the page rendered into the form posting to ``action``."""
    form = re.search(
        rf'<form method="post" action="{re.escape(action)}"[^>]*>(.*?)</form>', page, re.S
    )
    assert form, f"no form for {action}"
    found = re.search(r'name="op_id" value="([^"]+)"', form.group(1))
    assert found, f"no op id in the form for {action}"
    return found.group(1)


def _check_op(page: str, *, checked: bool = True) -> str:
    """The op id of the form the page's item buttons send to check off (or put back)."""
    form_id = "item-check" if checked else "item-uncheck"
    form = re.search(rf'<form id="{form_id}"[^>]*>(.*?)</form>', page, re.S)
    assert form, f"no form #{form_id}"
    found = re.search(r'name="op_id" value="([^"]+)"', form.group(1))
    assert found
    return found.group(1)


@pytest.fixture
async def shop(client: httpx.AsyncClient, world: World, list_id: int) -> str:
    """The member, signed in with a browser session: their CSRF token."""
    return await sign_in(client, world.member.email)


async def _add(client: httpx.AsyncClient, token: str, list_id: int, text: str) -> int:
    """Quick add, as the page's form does it; the item's id."""
    page = await _open(client, f"/shopping/{list_id}")
    action = f"/shopping/{list_id}/items"
    await _done(client, token, action, text=text, op_id=_op(page, action))
    page = await _open(client, f"/shopping/{list_id}")
    ids = re.findall(r'<li class="shop-item[^"]*" id="item-(\d+)">', page)
    return max(int(found) for found in ids)


async def _put(
    session: AsyncSession, world: World, list_id: int, text: str, *, checked: bool, **more: Any
) -> None:
    """An item on the list through the service (quicker than the page), checked or not."""
    member = await actor_for(session, world.member)
    done = await service.add_item(
        session, actor=member, list_id=list_id, text=text, note=None, op_id=None, **more
    )
    assert done.item is not None
    if checked:
        await service.change_item(
            session,
            actor=member,
            list_id=list_id,
            item_id=done.item.id,
            changes={"checked": True},
            op_id=None,
        )


# --- Who sees what --------------------------------------------------------------------------


async def test_visitors_are_sent_to_sign_in(client: httpx.AsyncClient, list_id: int) -> None:
    for url in ("/shopping", f"/shopping/{list_id}"):
        response = await client.get(url)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=")


async def test_outsiders_find_no_list_and_change_nothing(
    client: httpx.AsyncClient, world: World, as_: HeadersFor, list_id: int
) -> None:
    added = await client.post(
        f"{LISTS}/{list_id}/items", json={"text": "2 onions"}, headers=as_("member")
    )
    item_id = added.json()["id"]
    token = await sign_in(client, world.outsider.email)
    for url in (
        f"/shopping/{list_id}",
        f"/shopping/{list_id}/checked",
        f"/shopping/{list_id}/items/{item_id}",
    ):
        await _open(client, url, status=404)
    page = await _open(client, "/shopping")
    assert f'/shopping/{list_id}"' not in page
    op = {"op_id": "outsider-1"}
    for url, form in (
        (f"/shopping/{list_id}/rename", {"name": "Mine"}),
        (f"/shopping/{list_id}/delete", {}),
        (f"/shopping/{list_id}/items", {"text": "caviar", **op}),
        (f"/shopping/{list_id}/items/{item_id}/check", {"checked": "true", **op}),
        (f"/shopping/{list_id}/items/{item_id}", {"text": "caviar", **op}),
        (f"/shopping/{list_id}/items/{item_id}/delete", op),
        (f"/shopping/{list_id}/clear-checked", op),
        (f"/shopping/{list_id}/meal-plan", {"start": "2026-12-07", "end": "2026-12-13", **op}),
        ("/shopping", {"household_id": world.household.id, "name": "Sneaky"}),
    ):
        response = await _post(client, token, url, **form)
        assert response.status_code == 404, (url, response.text[-300:])
    body = await _read(client, as_, list_id)
    assert [item["text"] for item in body["items"]] == ["2 onions"]
    assert body["name"] == "Weekly"
    assert body["sequence"] == 1


# --- Lists -----------------------------------------------------------------------------------


async def test_lists_are_grouped_by_household_and_made_renamed_and_deleted(
    client: httpx.AsyncClient, world: World, shop: str, list_id: int
) -> None:
    page = await _open(client, "/shopping")
    assert '<h2 id="household-' in page
    assert "The Flat" in page
    assert "Milo Member&#39;s kitchen" in page
    assert f'<a class="shop-lists__name" href="/shopping/{list_id}">Weekly</a>' in page
    assert page.index("Milo Member&#39;s kitchen") != page.index("The Flat")

    # Made in a household of theirs: the new list's page follows.
    made = await _post(
        client, shop, "/shopping", name="Hardware store", household_id=world.household.id
    )
    new_url = _location(made)
    assert re.fullmatch(r"/shopping/\d+", new_url)
    page = await _open(client, new_url)
    assert "<h1>Hardware store</h1>" in page
    assert flashes(page) == ["Made the list “Hardware store”."]

    # Refused: the error beside the field, what was typed kept.
    long_name = "x" * 101
    refused = await _post(
        client, shop, "/shopping", name=long_name, household_id=world.household.id
    )
    assert refused.status_code == 422
    assert field_error(refused.text, "new-name") == "Use at most 100 characters."
    assert input_value(refused.text, "new-name") == long_name
    blank = await _post(client, shop, "/shopping", name="", household_id=world.household.id)
    assert field_error(blank.text, "new-name") == "This field is required."

    list_new = int(new_url.rsplit("/", 1)[1])
    page = await _done(client, shop, f"/shopping/{list_new}/rename", name="DIY")
    assert flashes(page) == ["Renamed the list “DIY”."]
    assert f'href="/shopping/{list_new}">DIY</a>' in page
    refused = await _post(client, shop, f"/shopping/{list_new}/rename", name="")
    assert refused.status_code == 422
    assert field_error(refused.text, f"rename-{list_new}-name") == "This field is required."

    page = await _done(client, shop, f"/shopping/{list_new}/delete")
    assert flashes(page) == ["Deleted the list “DIY”."]
    assert f"/shopping/{list_new}" not in page
    await _open(client, f"/shopping/{list_new}", status=404)


# --- A list's page ---------------------------------------------------------------------------


async def test_items_are_grouped_by_aisle_in_a_stores_order(
    client: httpx.AsyncClient,
    session: AsyncSession,
    world: World,
    as_: HeadersFor,
    shop: str,
    list_id: int,
) -> None:
    for text, aisle in (
        ("2 onions", "Produce"),
        ("1 l milk", "Dairy"),
        ("birthday candles", None),
        ("3 apples", "Produce"),
        ("butter", "Dairy"),
    ):
        body = {"text": text, **({"aisle": aisle} if aisle else {})}
        await client.post(f"{LISTS}/{list_id}/items", json=body, headers=as_("member"))
    owner = await actor_for(session, world.owner)
    store = await stores.add_store(
        session, actor=owner, household_id=world.household.id, name="Corner", aisles=["Produce"]
    )
    page = await _open(client, f"/shopping/{list_id}")
    # Without a store: aisles by name, items of no aisle last.
    aisles = re.findall(r'<h2 id="aisle-\d+" class="shop-aisle__name">([^<]*)</h2>', page)
    assert aisles == ["Dairy", "Produce", "Other"]
    assert _open_texts(page) == ["1 l milk", "butter", "2 onions", "3 apples", "birthday candles"]
    assert f'<option value="{store.id}">Corner</option>' in page
    # Walking the store: its aisles first.
    page = await _open(client, f"/shopping/{list_id}?store={store.id}")
    aisles = re.findall(r'<h2 id="aisle-\d+" class="shop-aisle__name">([^<]*)</h2>', page)
    assert aisles == ["Produce", "Dairy", "Other"]
    assert f'<option value="{store.id}" selected>Corner</option>' in page
    # Its forms keep the store for the page they lead back to.
    assert f'<input type="hidden" name="store" value="{store.id}">' in page
    await _open(client, f"/shopping/{list_id}?store=", status=200)
    await _open(client, f"/shopping/{list_id}?store=999999", status=404)
    response = await client.get(f"/shopping/{list_id}?store=abc")
    assert response.status_code == 422


async def test_items_read_in_the_readers_units_as_the_api_reads_them(
    client: httpx.AsyncClient,
    session: AsyncSession,
    world: World,
    as_: HeadersFor,
    shop: str,
    list_id: int,
) -> None:
    for text in (
        "1 cup heavy cream",
        "250 ml heavy cream",
        "1 bunch parsley",
        "20 g parsley",
        "200 g flour",
        "1 cup flour",
    ):
        await client.post(f"{LISTS}/{list_id}/items", json={"text": text}, headers=as_("owner"))
    world.member.unit_system = UnitSystem.US
    await session.flush()
    items = (await _read(client, as_, list_id))["items"]
    api = [item["text"] for item in items]
    page = await _open(client, f"/shopping/{list_id}")
    assert sorted(_open_texts(page)) == sorted(api)
    assert "cup" in " ".join(api)
    # What could not be added up is said so.
    apart = [item["amounts"] for item in items if item["amounts"]]
    assert apart, items
    for amounts in apart:
        assert html.escape(f"Not added up: {', '.join(amounts)}", quote=False) in page
    world.member.unit_system = UnitSystem.METRIC
    await session.flush()
    metric = await _open(client, f"/shopping/{list_id}")
    assert sorted(_open_texts(metric)) != sorted(api)


async def test_check_off_then_undo_without_javascript(
    client: httpx.AsyncClient, as_: HeadersFor, shop: str, list_id: int
) -> None:
    onions = await _add(client, shop, list_id, "2 onions")
    await _add(client, shop, list_id, "1 l milk")
    page = await _open(client, f"/shopping/{list_id}")
    action = f"/shopping/{list_id}/items/{onions}/check"
    assert f'form="item-check" formaction="{action}"' in page
    op = _check_op(page)
    assert '<details class="shop-checked card" id="checked">' in page  # collapsed
    checked = await _post(client, shop, action, checked="true", op_id=op)
    assert _location(checked) == f"/shopping/{list_id}?undo={onions}#undo"
    page = await _open(client, _location(checked))
    assert _open_texts(page) == ["1 l milk"]
    assert _checked_texts(page) == ["2 onions"]
    assert 'id="checked-count">1<' in page
    undo = re.search(
        r'<div class="alert alert--success shop-undo" id="undo" role="status">(.*?)</div>',
        page,
        re.S,
    )
    assert undo, "no undo after a check-off"
    assert "Checked off 2 onions." in undo.group(1)
    assert 'name="checked" value="false"' in undo.group(1)
    sequence = (await _read(client, as_, list_id))["sequence"]
    # The same form sent again (a double tap) changes nothing.
    again = await _post(client, shop, action, checked="true", op_id=op)
    assert again.status_code == 303
    assert (await _read(client, as_, list_id))["sequence"] == sequence

    assert _op(page, action) == _check_op(page, checked=False)  # the Undo form's
    page = await _done(client, shop, action, checked="false", op_id=_op(page, action))
    assert flashes(page) == ["Put 2 onions back on the list."]
    assert sorted(_open_texts(page)) == ["1 l milk", "2 onions"]
    assert _checked_texts(page) == []
    assert 'id="undo"' not in page
    # A form that is not one the page made is refused, and nothing changes.
    refused = await _post(client, shop, action, checked="true")
    assert refused.status_code == 422
    assert (await _read(client, as_, list_id))["items"][0]["checked"] is False


async def test_quick_add_reads_the_text_once_however_often_it_is_sent(
    client: httpx.AsyncClient, as_: HeadersFor, shop: str, list_id: int
) -> None:
    page = await _open(client, f"/shopping/{list_id}")
    action = f"/shopping/{list_id}/items"
    op = _op(page, action)
    assert 'list="usual-items"' in page
    added = await _post(client, shop, action, text="2 lb chicken thighs", op_id=op)
    page = await _open(client, _location(added))
    assert flashes(page) == ["Added 2 lb chicken thighs."]
    assert _open_texts(page) == ["2 lb chicken thighs"]
    await _post(client, shop, action, text="2 lb chicken thighs", op_id=op)
    body = await _read(client, as_, list_id)
    assert [(i["text"], i["food"]) for i in body["items"]] == [
        ("2 lb chicken thighs", "chicken thighs")
    ]
    # Another add (a new page, a new op id) joins the item of the same food.
    await _add(client, shop, list_id, "1 lb chicken thighs")
    assert [i["text"] for i in (await _read(client, as_, list_id))["items"]] == [
        "3 lb chicken thighs"
    ]
    # The household's usual items are suggested from what it buys.
    usual = await client.get(f"{LISTS}/{list_id}/suggestions", params={"q": "thi"})
    assert [u["name"] for u in usual.json()["items"]] == ["chicken thighs"]

    # What people type is shown as text, never as markup.
    await client.post(
        f"{LISTS}/{list_id}/items",
        json={"text": "1 <b>jar</b> jam", "note": "<i>the good one</i>"},
        headers=as_("member"),
    )
    page = await _open(client, f"/shopping/{list_id}")
    assert "<b>" not in page
    assert "<i>" not in page
    assert "&lt;i&gt;the good one&lt;/i&gt;" in page
    jam = max(item["id"] for item in (await _read(client, as_, list_id))["items"])
    await client.delete(f"{LISTS}/{list_id}/items/{jam}", headers=as_("member"))

    refused = await _post(client, shop, action, text="", op_id="x-1")
    assert refused.status_code == 422
    assert field_error(refused.text, "add-text") == "This field is required."
    too_long = "salt " * 101
    refused = await _post(client, shop, action, text=too_long, op_id="x-2")
    assert refused.status_code == 422
    assert field_error(refused.text, "add-text") == "Use at most 500 characters."
    assert input_value(refused.text, "add-text") == too_long
    assert len((await _read(client, as_, list_id))["items"]) == 1


async def test_an_item_is_edited_and_removed(
    client: httpx.AsyncClient,
    session: AsyncSession,
    world: World,
    as_: HeadersFor,
    shop: str,
    list_id: int,
) -> None:
    onions = await _add(client, shop, list_id, "2 onions")
    url = f"/shopping/{list_id}/items/{onions}"
    page = await _open(client, url)
    assert "<h1>Edit 2 onions</h1>" in page
    assert input_value(page, "item-text") == "2 onions"
    op = _op(page, url)
    page = await _done(
        client, shop, url, text="3 red onions", note="small ones", aisle="Produce", op_id=op
    )
    assert flashes(page) == ["Saved 3 red onions."]
    assert "small ones" in page
    item = (await _read(client, as_, list_id))["items"][0]
    assert (item["text"], item["note"], item["aisle"]) == ("3 red onions", "small ones", "Produce")
    # Sent again: nothing changes twice.
    sequence = (await _read(client, as_, list_id))["sequence"]
    await _post(
        client, shop, url, text="3 red onions", note="small ones", aisle="Produce", op_id=op
    )
    assert (await _read(client, as_, list_id))["sequence"] == sequence
    # Refused: beside the field, with what was typed.
    refused = await _post(client, shop, url, text="", note="keep me", aisle="", op_id="e-2")
    assert refused.status_code == 422
    assert field_error(refused.text, "item-text") == "This field is required."
    assert input_value(refused.text, "item-note") == "keep me"
    # A blank note clears it.
    page = await _open(client, url)
    await _done(
        client, shop, url, text="3 red onions", note="", aisle="Produce", op_id=_op(page, url)
    )
    assert (await _read(client, as_, list_id))["items"][0]["note"] is None

    page = await _open(client, url)
    removed = await _done(client, shop, url + "/delete", op_id=_op(page, url + "/delete"))
    assert flashes(removed) == ["Removed 3 red onions."]
    assert (await _read(client, as_, list_id))["items"] == []
    await _open(client, url, status=404)


async def test_clearing_checked_items_and_paging_through_older_ones(
    client: httpx.AsyncClient,
    session: AsyncSession,
    world: World,
    as_: HeadersFor,
    shop: str,
    list_id: int,
) -> None:
    for number in range(55):
        await _put(session, world, list_id, f"thing {number}", checked=True, aisle=None)
    await session.flush()
    page = await _open(client, f"/shopping/{list_id}")
    shown = _checked_texts(page)
    assert len(shown) == 50
    assert shown[0] == "thing 54"
    assert 'id="checked-count">55<' in page
    older = re.search(r'href="(/shopping/\d+/checked\?cursor=[^"]+)"', page)
    assert older, "no link to older checked items"
    rest = await _open(client, html.unescape(older.group(1)))
    assert _texts(rest) == [f"thing {n}" for n in range(4, -1, -1)]
    assert "Older checked items" not in rest
    # An older item is put back from there.
    first = re.search(r'form="item-uncheck" formaction="(/shopping/\d+/items/\d+/check)"', rest)
    assert first
    put_back = await _done(
        client, shop, first.group(1), checked="false", op_id=_check_op(rest, checked=False)
    )
    assert _open_texts(put_back) == ["thing 4"]
    assert (await client.get(f"/shopping/{list_id}/checked?cursor=nonsense")).status_code in (
        400,
        422,
    )

    action = f"/shopping/{list_id}/clear-checked"
    op = _op(put_back, action)
    page = await _done(client, shop, action, op_id=op)
    assert flashes(page) == ["Cleared the checked items."]
    assert _checked_texts(page) == []
    assert _open_texts(page) == ["thing 4"]
    sequence = (await _read(client, as_, list_id))["sequence"]
    await _post(client, shop, action, op_id=op)
    assert (await _read(client, as_, list_id))["sequence"] == sequence


async def test_the_page_reads_a_long_list_in_a_handful_of_queries(
    client: httpx.AsyncClient,
    session: AsyncSession,
    world: World,
    engine: AsyncEngine,
    shop: str,
    list_id: int,
) -> None:
    """However many items, open or checked: the page reads them at once, and the checked ones
    only as far as it shows them."""
    counts = []
    for more in (3, 80):
        for number in range(more):
            text, aisle = f"{number} x food {more}-{number}", f"Aisle {number % 7}"
            await _put(session, world, list_id, text, checked=bool(number % 2), aisle=aisle)
        await session.commit()
        with statements_run(engine, lambda s: "SAVEPOINT" not in s.upper()) as statements:
            page = await _open(client, f"/shopping/{list_id}")
        counts.append(len(statements))
        assert page.count('class="shop-item') >= more
    assert counts[0] == counts[1], counts
    assert counts[1] <= 8, counts


# --- Recipes and the plan --------------------------------------------------------------------


@pytest.fixture
async def pancakes(session: AsyncSession, world: World) -> int:
    made = await _recipe(session, world, "Pancakes", PANCAKE_LINES)
    await session.commit()
    return made


async def test_a_recipe_goes_on_with_what_it_offered_and_comes_off(
    client: httpx.AsyncClient, as_: HeadersFor, shop: str, list_id: int, pancakes: int
) -> None:
    page = await _open(client, f"/shopping/{list_id}?q=pancake")
    assert f'id="choice-{pancakes}" type="radio" name="recipe_id" value="{pancakes}"' in page
    action = f"/shopping/{list_id}/recipes"
    op = _op(page, action)
    # Refused: no recipe chosen, the servings kept.
    refused = await _post(client, shop, action, servings="8", op_id=op, q="pancake")
    assert refused.status_code == 422
    assert "This field is required." in refused.text
    assert input_value(refused.text, "recipe-servings") == "8"
    assert f'id="choice-{pancakes}"' in refused.text

    added = await _post(client, shop, action, recipe_id=pancakes, servings="8", op_id=op)
    page = await _open(client, _location(added))
    assert flashes(page) == ["Added Pancakes (8 servings)."]
    assert _open_texts(page) == ["400 g flour", "4 eggs", "2 tbsp sugar", "600 ml milk"]
    # What was offered rather than added, to add too.
    offered = re.findall(r'name="line" value="([\d.]+)">\s*<span>([^<]*)', page)
    assert [html.unescape(text).strip() for _, text in offered] == [
        "salt, to taste",
        "1 tsp vanilla extract",
    ]
    assert "(to taste, Pancakes)" in page
    assert "(optional, Pancakes)" in page
    # Sent twice, added once.
    await _done(client, shop, action, recipe_id=pancakes, servings="8", op_id=op)
    assert len((await _read(client, as_, list_id))["items"]) == 4

    offered_action = f"/shopping/{list_id}/offered"
    offered_op = _op(page, offered_action)
    vanilla = offered[1][0]
    page = await _done(client, shop, offered_action, line=[vanilla], op_id=offered_op)
    assert flashes(page) == ["Added 1 more item."]
    assert "1 tsp vanilla extract" in _open_texts(page)
    await _post(client, shop, offered_action, line=[vanilla], op_id=offered_op)
    assert len((await _read(client, as_, list_id))["items"]) == 5
    bad = await _post(client, shop, offered_action, line=["1.2.3"], op_id="o-2")
    assert bad.status_code == 422
    unknown = await _post(client, shop, offered_action, line=[f"{pancakes}.99"], op_id="o-3")
    assert unknown.status_code == 404

    # The recipes on the list, each taken off by exactly its share.
    assert "Recipes on this list" in page
    remove = f"/shopping/{list_id}/recipes/{pancakes}/remove"
    page = await _done(client, shop, remove, op_id=_op(page, remove))
    assert flashes(page) == ["Took Pancakes off the list."]
    assert _open_texts(page) == ["1 tsp vanilla extract"]


async def test_this_weeks_plan_goes_on_once(
    client: httpx.AsyncClient,
    world: World,
    as_: HeadersFor,
    shop: str,
    list_id: int,
    pancakes: int,
) -> None:
    monday = utcnow().date() - dt.timedelta(days=utcnow().date().weekday())
    slots = await client.get(
        f"/api/v1/households/{world.household.id}/meal-slots", headers=as_("member")
    )
    planned = await client.post(
        "/api/v1/meal-plan",
        json={
            "household_id": world.household.id,
            "date": (monday + dt.timedelta(days=2)).isoformat(),
            "slot_id": slots.json()[0]["id"],
            "recipe_id": pancakes,
            "servings": 2,
        },
        headers=as_("member"),
    )
    assert planned.status_code == 201, planned.text
    page = await _open(client, f"/shopping/{list_id}")
    # The form starts with this week, Monday to Sunday.
    assert input_value(page, "plan-start") == monday.isoformat()
    assert input_value(page, "plan-end") == (monday + dt.timedelta(days=6)).isoformat()
    action = f"/shopping/{list_id}/meal-plan"
    op = _op(page, action)
    added = await _post(
        client,
        shop,
        action,
        start=monday.isoformat(),
        end=(monday + dt.timedelta(days=6)).isoformat(),
        op_id=op,
    )
    page = await _open(client, _location(added))
    assert flashes(page)[0].startswith("Added the meals planned from Monday")
    assert _open_texts(page) == ["100 g flour", "1 egg", "1½ tsp sugar", "150 ml milk"]
    assert "salt, to taste" in page  # offered
    # Sent again, or the week added again from a new page: nothing twice.
    await _post(
        client,
        shop,
        action,
        start=monday.isoformat(),
        end=(monday + dt.timedelta(days=6)).isoformat(),
        op_id=op,
    )
    page = await _open(client, f"/shopping/{list_id}")
    await _done(
        client,
        shop,
        action,
        start=monday.isoformat(),
        end=(monday + dt.timedelta(days=6)).isoformat(),
        op_id=_op(page, action),
    )
    assert [i["text"] for i in (await _read(client, as_, list_id))["items"]] == [
        "100 g flour",
        "1 egg",
        "1½ tsp sugar",
        "150 ml milk",
    ]
    # A range that ends before it starts: refused beside its end, the dates kept.
    refused = await _post(client, shop, action, start="2026-12-13", end="2026-12-07", op_id="p-2")
    assert refused.status_code == 422
    assert field_error(refused.text, "plan-end") == "Must not be before the start."
    assert input_value(refused.text, "plan-start") == "2026-12-13"
    bad = await _post(client, shop, action, start="2026-02-30", end="2026-12-07", op_id="p-3")
    assert bad.status_code == 422
    assert field_error(bad.text, "plan-start") is not None


async def test_add_to_shopping_list_from_a_recipe(
    client: httpx.AsyncClient,
    session: AsyncSession,
    world: World,
    as_: HeadersFor,
    shop: str,
    list_id: int,
) -> None:
    soup = await _recipe(
        session, world, "Soup", [IngredientIn(text="2 leeks"), IngredientIn(text="1 l stock")]
    )
    await session.commit()
    fragment = await client.get(
        f"/shopping/add?recipe={soup}", headers={**HTMX, "HX-Target": "add-to-list"}
    )
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert "Add Soup to a shopping list" in fragment.text
    page = await _open(client, f"/shopping/add?recipe={soup}")
    assert f'<option value="{list_id}">Weekly (The Flat)</option>' in page
    op = _op(page, "/shopping/add")
    refused = await _post(
        client, shop, "/shopping/add", recipe_id=soup, list_id=list_id, servings="-1", op_id=op
    )
    assert refused.status_code == 422
    assert field_error(refused.text, "shop-servings") is not None
    added = await _post(
        client, shop, "/shopping/add", recipe_id=soup, list_id=list_id, servings="8", op_id=op
    )
    assert _location(added).startswith(f"/shopping/{list_id}")
    await _post(
        client, shop, "/shopping/add", recipe_id=soup, list_id=list_id, servings="8", op_id=op
    )
    assert [i["text"] for i in (await _read(client, as_, list_id))["items"]] == [
        "4 leeks",
        "2 l stock",
    ]
    await _open(client, "/shopping/add?recipe=999999", status=404)
    # The recipe's page links to it.
    slug = (await client.get(f"/api/v1/recipes/{soup}", headers=as_("member"))).json()["slug"]
    recipe_page = await _open(client, f"/recipes/{slug}")
    assert f'href="/shopping/add?recipe={soup}"' in recipe_page
