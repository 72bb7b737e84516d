"""What a household buys: aisles remembered by food, and items suggested as someone types."""

from __future__ import annotations

import httpx

from tests.shopping.conftest import LISTS, HeadersFor
from tests.support.world import World


async def test_a_food_goes_in_the_aisle_it_was_last_given(
    client: httpx.AsyncClient, world: World, as_: HeadersFor, list_id: int
) -> None:
    headers = as_("member")
    first = await client.post(
        f"{LISTS}/{list_id}/items", json={"text": "2 onions"}, headers=headers
    )
    assert first.json()["aisle"] is None
    await client.patch(
        f"{LISTS}/{list_id}/items/{first.json()['id']}",
        json={"aisle": "Produce"},
        headers=headers,
    )
    # The same food, singular or plural, on another list of the household's.
    other = await client.post(
        LISTS, json={"household_id": world.household.id, "name": "Party"}, headers=headers
    )
    later = await client.post(
        f"{LISTS}/{other.json()['id']}/items", json={"text": "1 Onion"}, headers=as_("owner")
    )
    assert later.json()["aisle"] == "Produce"
    # Given an aisle as it is added, a food goes there from then on.
    await client.post(
        f"{LISTS}/{list_id}/items", json={"text": "onions", "aisle": "Veg"}, headers=headers
    )
    again = await client.post(f"{LISTS}/{list_id}/items", json={"text": "onion"}, headers=headers)
    assert again.json()["aisle"] == "Veg"


async def test_items_are_suggested_most_bought_first_by_any_word(
    client: httpx.AsyncClient, world: World, as_: HeadersFor, list_id: int
) -> None:
    headers = as_("member")
    for text in ("2 lb chicken thighs", "chicken thighs", "thyme", "1 kg chicken breasts", "milk"):
        await client.post(f"{LISTS}/{list_id}/items", json={"text": text}, headers=headers)
    suggested = await client.get(
        f"{LISTS}/{list_id}/suggestions", params={"q": "th"}, headers=headers
    )
    assert suggested.status_code == 200
    assert [item["name"] for item in suggested.json()["items"]] == ["chicken thighs", "thyme"]
    assert suggested.json()["items"][0]["uses"] == 2
    chicken = await client.get(
        f"{LISTS}/{list_id}/suggestions", params={"q": "Chick"}, headers=headers
    )
    assert [item["name"] for item in chicken.json()["items"]] == [
        "chicken thighs",
        "chicken breasts",
    ]
    # LIKE's wildcards are text to match, not patterns.
    nothing = await client.get(f"{LISTS}/{list_id}/suggestions", params={"q": "%"}, headers=headers)
    assert nothing.json()["items"] == []
    hidden = await client.get(
        f"{LISTS}/{list_id}/suggestions", params={"q": "th"}, headers=as_("outsider")
    )
    assert hidden.status_code == 404
