"""Items of a list: typed in, checked off, moved, removed; every change an operation with a
number, sent again without effect."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from recipevault.recipes.models import Food
from recipevault.recipes.vocabulary.resolving import resolve_foods
from recipevault.shopping import service
from recipevault.shopping.models import ShoppingItem, ShoppingList, ShoppingOperation
from tests.shopping.conftest import LISTS, HeadersFor
from tests.support.database import statements_run
from tests.support.world import World

OP = "0b7c2f7e-6a43-4d4f-9a51-3c1f8e0c9d21"


async def _add(
    client: httpx.AsyncClient, list_id: int, headers: dict[str, str], text: str, **body: Any
) -> dict[str, Any]:
    added = await client.post(
        f"{LISTS}/{list_id}/items", json={"text": text, **body}, headers=headers
    )
    assert added.status_code == 201, added.text
    item: dict[str, Any] = added.json()
    return item


async def _items(client: httpx.AsyncClient, list_id: int, headers: dict[str, str]) -> list[str]:
    read = await client.get(f"{LISTS}/{list_id}", headers=headers)
    assert read.status_code == 200
    return [item["text"] for item in read.json()["items"]]


async def test_an_item_is_read_from_what_was_typed(
    client: httpx.AsyncClient,
    world: World,
    as_: HeadersFor,
    list_id: int,
    session: AsyncSession,
) -> None:
    known = await resolve_foods(session, world.household.id, ["chicken thigh"])
    item = await _add(
        client, list_id, as_("member"), "2 lb chicken thighs", note="boneless", aisle="Meat"
    )
    assert item == {
        "id": item["id"],
        "text": "2 lb chicken thighs",
        "quantity": 2.0,
        "unit": "pound",
        "food": "chicken thighs",
        "food_id": known["chicken thigh"].id,
        "note": "boneless",
        "aisle": "Meat",
        "checked": False,
        "position": 0,
        "sequence": 1,
        "amounts": [],
        "sources": [],
    }
    plain = await _add(client, list_id, as_("member"), "birthday candles")
    assert (plain["quantity"], plain["unit"], plain["food"], plain["food_id"]) == (
        None,
        None,
        "birthday candles",
        None,
    )
    # Nothing new enters the household's foods from a shopping list.
    foods = await session.scalars(select(Food.key).where(Food.household_id == world.household.id))
    assert "birthday candle" not in set(foods)


async def test_every_change_takes_the_lists_next_number(
    client: httpx.AsyncClient, as_: HeadersFor, list_id: int
) -> None:
    milk = await _add(client, list_id, as_("member"), "1 l milk")
    eggs = await _add(client, list_id, as_("owner"), "6 eggs")
    checked = await client.patch(
        f"{LISTS}/{list_id}/items/{milk['id']}", json={"checked": True}, headers=as_("owner")
    )
    assert [milk["sequence"], eggs["sequence"], checked.json()["sequence"]] == [1, 2, 3]
    read = await client.get(f"{LISTS}/{list_id}", headers=as_("member"))
    assert read.json()["sequence"] == 3


async def test_the_same_operation_sent_again_changes_nothing(
    client: httpx.AsyncClient, as_: HeadersFor, list_id: int, session: AsyncSession
) -> None:
    first = await _add(client, list_id, as_("member"), "2 onions", op_id=OP)
    again = await _add(client, list_id, as_("owner"), "2 onions", op_id=OP)
    assert again == first
    assert await _items(client, list_id, as_("member")) == ["2 onions"]
    check = {"checked": True, "op_id": "check-1"}
    url = f"{LISTS}/{list_id}/items/{first['id']}"
    checked = await client.patch(url, json=check, headers=as_("member"))
    unchecked = await client.patch(url, json={"checked": False}, headers=as_("member"))
    # The check-off sent again after a later change does not undo it: it was done once.
    repeated = await client.patch(url, json=check, headers=as_("member"))
    assert checked.json()["sequence"] == 2
    assert repeated.status_code == 200
    assert repeated.json()["checked"] is False
    assert repeated.json()["sequence"] == unchecked.json()["sequence"] == 3
    listed = await client.get(f"{LISTS}/{list_id}", headers=as_("member"))
    assert listed.json()["sequence"] == 3
    recorded = list(await session.scalars(select(ShoppingOperation.op_id)))
    assert sorted(recorded)[:2] == [OP, "check-1"]
    # A change sent without an id gets one of the server's.
    assert [op_id.startswith("server:") for op_id in sorted(recorded)[2:]] == [True]


async def test_open_items_keep_their_order_and_checked_ones_follow_last_checked_first(
    client: httpx.AsyncClient, as_: HeadersFor, list_id: int
) -> None:
    headers = as_("member")
    added = [await _add(client, list_id, headers, text) for text in ("a", "b", "c", "d", "e")]
    ids = {item["text"]: item["id"] for item in added}
    for text in ("b", "d"):
        await client.patch(
            f"{LISTS}/{list_id}/items/{ids[text]}", json={"checked": True}, headers=headers
        )
    assert await _items(client, list_id, headers) == ["a", "c", "e", "d", "b"]
    moved = await client.patch(
        f"{LISTS}/{list_id}/items/{ids['e']}", json={"position": 0}, headers=headers
    )
    assert moved.json()["position"] == 0
    assert await _items(client, list_id, headers) == ["e", "a", "c", "d", "b"]
    # Past the end: last of the open items.
    await client.patch(
        f"{LISTS}/{list_id}/items/{ids['e']}", json={"position": 99}, headers=headers
    )
    assert await _items(client, list_id, headers) == ["a", "c", "e", "d", "b"]
    await client.patch(
        f"{LISTS}/{list_id}/items/{ids['b']}", json={"checked": False}, headers=headers
    )
    assert (await _items(client, list_id, headers))[:4] == ["a", "b", "c", "e"]


async def test_a_device_learns_what_changed_since_it_last_looked(
    client: httpx.AsyncClient, as_: HeadersFor, list_id: int
) -> None:
    headers = as_("member")
    milk = await _add(client, list_id, headers, "1 l milk")
    eggs = await _add(client, list_id, headers, "6 eggs")
    seen = eggs["sequence"]
    await client.patch(
        f"{LISTS}/{list_id}/items/{milk['id']}", json={"checked": True}, headers=headers
    )
    removed = await client.delete(f"{LISTS}/{list_id}/items/{eggs['id']}", headers=headers)
    assert removed.status_code == 204
    bread = await _add(client, list_id, headers, "bread")
    changes = await client.get(
        f"{LISTS}/{list_id}/changes", params={"since": seen}, headers=headers
    )
    assert changes.status_code == 200
    body = changes.json()
    assert body["sequence"] == bread["sequence"] == 5
    assert [(item["text"], item["checked"]) for item in body["items"]] == [
        ("1 l milk", True),
        ("bread", False),
    ]
    assert body["removed"] == [eggs["id"]]
    nothing = await client.get(f"{LISTS}/{list_id}/changes", params={"since": 5}, headers=headers)
    assert nothing.json() == {"sequence": 5, "items": [], "removed": []}
    gone = await client.patch(
        f"{LISTS}/{list_id}/items/{eggs['id']}", json={"checked": True}, headers=headers
    )
    assert gone.status_code == 404


async def test_clearing_checked_items_is_one_change(
    client: httpx.AsyncClient, as_: HeadersFor, list_id: int
) -> None:
    headers = as_("member")
    added = [await _add(client, list_id, headers, text) for text in ("a", "b", "c")]
    for item in added[:2]:
        await client.patch(
            f"{LISTS}/{list_id}/items/{item['id']}", json={"checked": True}, headers=headers
        )
    cleared = await client.post(f"{LISTS}/{list_id}/clear-checked", json={}, headers=headers)
    assert cleared.status_code == 200
    assert (cleared.json()["sequence"], [i["text"] for i in cleared.json()["items"]]) == (6, ["c"])
    changes = await client.get(f"{LISTS}/{list_id}/changes", params={"since": 5}, headers=headers)
    assert sorted(changes.json()["removed"]) == sorted(item["id"] for item in added[:2])


async def test_markers_are_forgotten_after_thirty_days_and_older_changes_are_410(
    client: httpx.AsyncClient, as_: HeadersFor, list_id: int, session: AsyncSession
) -> None:
    headers = as_("member")
    milk = await _add(client, list_id, headers, "1 l milk")
    await client.delete(f"{LISTS}/{list_id}/items/{milk['id']}", headers=headers)
    await _add(client, list_id, headers, "bread")
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=31)
    assert await service.sweep_markers(session, now=later) == 1
    assert await session.get(ShoppingItem, milk["id"]) is None
    swept = await session.get_one(ShoppingList, list_id, populate_existing=True)
    assert swept.swept_seq == 2
    old = await client.get(f"{LISTS}/{list_id}/changes", params={"since": 1}, headers=headers)
    assert old.status_code == 410
    recent = await client.get(f"{LISTS}/{list_id}/changes", params={"since": 2}, headers=headers)
    assert [item["text"] for item in recent.json()["items"]] == ["bread"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": ""}, "text"),
        ({"text": "x" * 501}, "text"),
        ({"text": "milk", "op_id": "has spaces"}, "op_id"),
        ({"text": "milk", "op_id": "x" * 65}, "op_id"),
        ({"text": "milk", "aisle": "a" * 101}, "aisle"),
        ({"text": "milk", "checked": True}, "checked"),
    ],
)
async def test_a_bad_item_is_422_naming_the_field(
    client: httpx.AsyncClient,
    as_: HeadersFor,
    list_id: int,
    body: dict[str, object],
    field: str,
) -> None:
    response = await client.post(f"{LISTS}/{list_id}/items", json=body, headers=as_("member"))
    assert response.status_code == 422, response.text
    assert field in {error["field"] for error in response.json()["errors"]}
    assert await _items(client, list_id, as_("member")) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"checked": 1}, "checked"),
        ({"checked": None}, "checked"),
        ({"text": None}, "text"),
        ({"position": -1}, "position"),
        ({"position": "first"}, "position"),
    ],
)
async def test_a_bad_change_is_422_naming_the_field_and_changes_nothing(
    client: httpx.AsyncClient,
    as_: HeadersFor,
    list_id: int,
    body: dict[str, object],
    field: str,
) -> None:
    item = await _add(client, list_id, as_("member"), "milk")
    response = await client.patch(
        f"{LISTS}/{list_id}/items/{item['id']}", json=body, headers=as_("member")
    )
    assert response.status_code == 422, response.text
    assert field in {error["field"] for error in response.json()["errors"]}
    read = await client.get(f"{LISTS}/{list_id}", headers=as_("member"))
    assert (read.json()["sequence"], read.json()["items"][0]["checked"]) == (1, False)


async def test_an_item_of_another_list_is_not_found(
    client: httpx.AsyncClient, world: World, as_: HeadersFor, list_id: int
) -> None:
    other = await client.post(
        "/api/v1/shopping-lists",
        json={"household_id": world.household.id, "name": "Other"},
        headers=as_("member"),
    )
    item = await _add(client, other.json()["id"], as_("member"), "milk")
    for method, body in (("PATCH", {"checked": True}), ("DELETE", None)):
        response = await client.request(
            method, f"{LISTS}/{list_id}/items/{item['id']}", json=body, headers=as_("member")
        )
        assert response.status_code == 404


async def test_what_is_typed_joins_the_open_item_of_its_food(
    client: httpx.AsyncClient, as_: HeadersFor, list_id: int
) -> None:
    headers = as_("member")
    onions = await _add(client, list_id, headers, "2 onions")
    more = await _add(client, list_id, as_("owner"), "1 Onion", note="red")
    assert more["id"] == onions["id"]
    assert (more["text"], more["quantity"], more["note"]) == ("3 onions", 3.0, "red")
    await client.patch(
        f"{LISTS}/{list_id}/items/{onions['id']}", json={"checked": True}, headers=headers
    )
    # Checked off, it stays so: typed again, the food is on the list afresh.
    again = await _add(client, list_id, headers, "onion")
    assert again["id"] != onions["id"]
    assert await _items(client, list_id, headers) == ["onion", "3 onions"]
    # New text replaces what was typed, all of it.
    changed = await client.patch(
        f"{LISTS}/{list_id}/items/{onions['id']}", json={"text": "5 onions"}, headers=headers
    )
    assert (changed.json()["text"], changed.json()["quantity"]) == ("5 onions", 5.0)


async def test_an_amount_that_cannot_be_added_up_leaves_the_food_on_the_list(
    client: httpx.AsyncClient, as_: HeadersFor, list_id: int
) -> None:
    zero = await _add(client, list_id, as_("member"), "0 eggs")
    assert (zero["text"], zero["quantity"], zero["food"]) == ("eggs", None, "eggs")
    huge = await _add(client, list_id, as_("member"), "99999999 kg sugar")
    assert huge["text"].endswith("sugar")


async def test_a_list_reads_in_two_queries_however_long(
    client: httpx.AsyncClient, as_: HeadersFor, list_id: int, engine: AsyncEngine
) -> None:
    headers = as_("member")
    counts = []
    for round_ in range(2):
        for n in range(1 + 20 * round_):
            await _add(client, list_id, headers, f"{n + 1} thing{round_}-{n}")
        with statements_run(engine, lambda statement: "shopping_" in statement) as statements:
            read = await client.get(f"{LISTS}/{list_id}", headers=headers)
        assert read.status_code == 200
        counts.append(len(statements))
    assert counts == [2, 2]


async def test_the_checked_items_past_the_newest_fifty_come_a_page_at_a_time(
    client: httpx.AsyncClient, as_: HeadersFor, list_id: int, session: AsyncSession
) -> None:
    headers = as_("member")
    added = [await _add(client, list_id, headers, f"item {n}") for n in range(55)]
    for item in added[:53]:
        await client.patch(
            f"{LISTS}/{list_id}/items/{item['id']}", json={"checked": True}, headers=headers
        )
    read = (await client.get(f"{LISTS}/{list_id}", headers=headers)).json()
    assert read["checked_total"] == 53
    texts = [item["text"] for item in read["items"]]
    # Open ones first, then the 50 checked last, the last first.
    assert texts[:2] == ["item 53", "item 54"]
    assert texts[2:5] == ["item 52", "item 51", "item 50"]
    assert len(texts) == 52
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": "20"} | ({"cursor": cursor} if cursor else {})
        page = await client.get(f"{LISTS}/{list_id}/checked", params=params, headers=headers)
        assert page.status_code == 200
        seen += [item["text"] for item in page.json()["items"]]
        cursor = page.json()["next"]
        if cursor is None:
            break
    assert seen == [f"item {n}" for n in range(52, -1, -1)]
    bad = await client.get(
        f"{LISTS}/{list_id}/checked", params={"cursor": "bm90LWEtY3Vyc29y"}, headers=headers
    )
    assert bad.status_code == 422
