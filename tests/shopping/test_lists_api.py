"""/api/v1/shopping-lists: a household's lists, shared by its members, hidden from others."""

from __future__ import annotations

import httpx
import pytest

from tests.shopping.conftest import LISTS, HeadersFor
from tests.support.world import World


async def test_members_share_a_households_lists(
    client: httpx.AsyncClient, world: World, as_: HeadersFor, list_id: int
) -> None:
    await client.post(f"{LISTS}/{list_id}/items", json={"text": "2 onions"}, headers=as_("member"))
    second = await client.post(
        LISTS, json={"household_id": world.household.id, "name": "bakery"}, headers=as_("member")
    )
    assert second.status_code == 201
    assert second.json() == {
        "id": second.json()["id"],
        "household_id": world.household.id,
        "name": "bakery",
        "sequence": 0,
    }
    listed = await client.get(
        LISTS, params={"household_id": world.household.id}, headers=as_("owner")
    )
    assert listed.status_code == 200
    assert [(each["name"], each["open_items"]) for each in listed.json()["items"]] == [
        ("bakery", 0),
        ("Weekly", 1),
    ]
    # Without a household: every list of every household of the reader's.
    everything = await client.get(LISTS, headers=as_("member"))
    assert {each["name"] for each in everything.json()["items"]} >= {"bakery", "Weekly"}
    mine = await client.get(LISTS, headers=as_("outsider"))
    assert mine.json()["items"] == []


async def test_renaming_counts_as_a_change_and_deleting_removes_everything(
    client: httpx.AsyncClient, as_: HeadersFor, list_id: int
) -> None:
    renamed = await client.patch(
        f"{LISTS}/{list_id}", json={"name": "Big shop"}, headers=as_("member")
    )
    assert renamed.status_code == 200
    assert (renamed.json()["name"], renamed.json()["sequence"]) == ("Big shop", 1)
    await client.post(f"{LISTS}/{list_id}/items", json={"text": "milk"}, headers=as_("member"))
    deleted = await client.delete(f"{LISTS}/{list_id}", headers=as_("member"))
    assert deleted.status_code == 204
    gone = await client.get(f"{LISTS}/{list_id}", headers=as_("member"))
    assert gone.status_code == 404


async def test_another_households_list_does_not_exist(
    client: httpx.AsyncClient, world: World, as_: HeadersFor, list_id: int
) -> None:
    for method, path, body in (
        ("GET", f"{LISTS}/{list_id}", None),
        ("PATCH", f"{LISTS}/{list_id}", {"name": "Mine now"}),
        ("POST", f"{LISTS}/{list_id}/items", {"text": "caviar"}),
        ("DELETE", f"{LISTS}/{list_id}", None),
    ):
        response = await client.request(method, path, json=body, headers=as_("outsider"))
        assert response.status_code == 404, (method, path)
    refused = await client.post(
        LISTS, json={"household_id": world.household.id, "name": "Mine"}, headers=as_("outsider")
    )
    assert refused.status_code == 404
    still = await client.get(f"{LISTS}/{list_id}", headers=as_("owner"))
    assert (still.json()["name"], still.json()["items"]) == ("Weekly", [])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "Weekly", "household_id": 0}, "household_id"),
        ({"name": "Weekly", "household_id": True}, "household_id"),
        ({"name": "Weekly", "colour": "red"}, "colour"),
    ],
)
async def test_bad_input_is_422_naming_the_field(
    client: httpx.AsyncClient,
    world: World,
    as_: HeadersFor,
    body: dict[str, object],
    field: str,
) -> None:
    sent = {"household_id": world.household.id, **body}
    response = await client.post(LISTS, json=sent, headers=as_("owner"))
    assert response.status_code == 422, response.text
    assert field in {error["field"] for error in response.json()["errors"]}
