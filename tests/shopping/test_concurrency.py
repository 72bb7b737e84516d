"""Changes to one list made at the same moment: each takes its own number, and the same change
sent twice at once is made once."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from recipevault.config import Settings
from recipevault.shopping import service
from recipevault.shopping.models import ShoppingItem, ShoppingOperation
from tests.support.database import DatabaseFactory, own_database
from tests.support.world import actor_for, make_world


async def test_changes_at_once_take_turns_and_a_repeated_one_is_made_once(
    settings: Settings, databases: DatabaseFactory
) -> None:
    async with own_database(databases, settings, "shopping_turns") as database:
        async with database.session() as session:
            world = await make_world(session, settings)
            actor = await actor_for(session, world.member)
            made = await service.create_list(
                session, actor=actor, household_id=world.household.id, name="Weekly"
            )
            list_id = made.id
            await session.commit()

        async def add(text: str, op_id: str) -> int:
            async with database.session() as session:
                done = await service.add_item(
                    session,
                    actor=actor,
                    list_id=list_id,
                    text=text,
                    note=None,
                    aisle=None,
                    op_id=op_id,
                )
                await session.commit()
                return done.sequence

        sent = [(f"{n} thing{n}", f"op-{n}") for n in range(6)]
        # The first change is sent three times at once, as a client retrying would.
        sent += [sent[0], sent[0]]
        numbers = await asyncio.wait_for(
            asyncio.gather(*(add(text, op_id) for text, op_id in sent)), timeout=60
        )
        async with database.session() as session:
            items = await session.scalar(
                select(func.count())
                .select_from(ShoppingItem)
                .where(ShoppingItem.list_id == list_id)
            )
            operations = list(
                await session.scalars(
                    select(ShoppingOperation.sequence)
                    .where(ShoppingOperation.list_id == list_id)
                    .order_by(ShoppingOperation.sequence)
                )
            )
            read = await service.get_list(session, actor=actor, list_id=list_id)
    assert items == 6
    assert operations == [1, 2, 3, 4, 5, 6]
    assert read.sequence == 6
    # The repeats answer with the first one's number.
    assert numbers[6] == numbers[7] == numbers[0]
    assert sorted(numbers[:6]) == [1, 2, 3, 4, 5, 6]
