"""/api/v1/households/{id}/shopping-stores, and a list read aisle by aisle as one walks a store."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.shopping.conftest import LISTS, HeadersFor
from tests.support.world import World


def _stores(world: World) -> str:
    return f"/api/v1/households/{world.household.id}/shopping-stores"


async def test_members_keep_the_households_stores(
    client: httpx.AsyncClient, world: World, as_: HeadersFor
) -> None:
    added = await client.post(
        _stores(world),
        json={"name": "Market", "aisles": ["Produce", "Bakery"]},
        headers=as_("member"),
    )
    assert added.status_code == 201, added.text
    store = added.json()
    assert store == {
        "id": store["id"],
        "household_id": world.household.id,
        "name": "Market",
        "aisles": ["Produce", "Bakery"],
    }
    url = f"{_stores(world)}/{store['id']}"
    changed = await client.patch(
        url, json={"aisles": ["Bakery", "Dairy", "Produce"]}, headers=as_("owner")
    )
    assert changed.json()["aisles"] == ["Bakery", "Dairy", "Produce"]
    assert (await client.get(_stores(world), headers=as_("member"))).json() == [changed.json()]
    # An aisle named again keeps its first place.
    again = await client.patch(
        url, json={"aisles": ["Dairy", "Bakery", "dairy"]}, headers=as_("owner")
    )
    assert again.json()["aisles"] == ["Dairy", "Bakery"]
    taken = await client.post(_stores(world), json={"name": "market"}, headers=as_("owner"))
    assert taken.status_code == 409
    assert (await client.delete(url, headers=as_("member"))).status_code == 204
    assert (await client.get(_stores(world), headers=as_("member"))).json() == []
    outsider = await client.get(_stores(world), headers=as_("outsider"))
    assert outsider.status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "Market", "aisles": [""]}, "aisles"),
        ({"name": "Market", "aisles": ["x"] * 101}, "aisles"),
        ({"name": "Market", "aisles": "Dairy"}, "aisles"),
    ],
)
async def test_a_bad_store_is_422_naming_the_field(
    client: httpx.AsyncClient, world: World, as_: HeadersFor, body: dict[str, Any], field: str
) -> None:
    response = await client.post(_stores(world), json=body, headers=as_("member"))
    assert response.status_code == 422, response.text
    assert any(error["field"].startswith(field) for error in response.json()["errors"])


async def test_a_list_read_for_a_store_comes_aisle_by_aisle(
    client: httpx.AsyncClient, world: World, as_: HeadersFor, list_id: int
) -> None:
    headers = as_("member")
    for text, aisle in (
        ("milk", "Dairy"),
        ("candles", None),
        ("apples", "Produce"),
        ("bread", "Bakery"),
        ("batteries", "Hardware"),
        ("cheese", "dairy"),
        ("pears", "Produce"),
    ):
        body = {"text": text} if aisle is None else {"text": text, "aisle": aisle}
        await client.post(f"{LISTS}/{list_id}/items", json=body, headers=headers)
    store = await client.post(
        _stores(world),
        json={"name": "Market", "aisles": ["Produce", "Dairy", "Bakery"]},
        headers=headers,
    )
    walked = await client.get(
        f"{LISTS}/{list_id}", params={"store_id": store.json()["id"]}, headers=headers
    )
    assert walked.status_code == 200
    assert [item["text"] for item in walked.json()["items"]] == [
        "apples",
        "pears",
        "milk",
        "cheese",
        "bread",
        "batteries",
        "candles",
    ]
    plain = await client.get(f"{LISTS}/{list_id}", headers=headers)
    assert [item["text"] for item in plain.json()["items"]][:3] == ["milk", "candles", "apples"]
    other = await client.post(
        "/api/v1/households", json={"name": "Elsewhere"}, headers=as_("outsider")
    )
    assert other.status_code == 201
    elsewhere = await client.post(
        f"/api/v1/households/{other.json()['id']}/shopping-stores",
        json={"name": "Theirs"},
        headers=as_("outsider"),
    )
    refused = await client.get(
        f"{LISTS}/{list_id}", params={"store_id": elsewhere.json()["id"]}, headers=headers
    )
    assert refused.status_code == 404
