"""The authorization rules, and reads that fail closed when a query forgets its scope."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest
from sqlalchemy import Integer, String, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from recipevault.accounts.models import Role
from recipevault.db.column_types import string_enum
from recipevault.errors import Forbidden, NotFound
from recipevault.policy import (
    Actor,
    Scoped,
    Visibility,
    can_edit,
    can_read,
    household_reader,
    is_editor,
    read_keys,
    read_parameters,
    read_rule,
    readable_by,
    require_editable,
    require_editor,
    require_readable,
    scoped,
    unscoped,
    viewer_keys,
    viewer_kind,
)

OWNER, HOUSEMATE, STRANGER, ADMIN = 1, 2, 3, 4
HOUSE, OTHER_HOUSE = 10, 20


class _TestBase(DeclarativeBase):
    pass


class Note(Scoped, _TestBase):
    """A stand-in for any owned resource (recipes, lists...)."""

    __tablename__ = "policy_probe_notes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(Integer)
    household_id: Mapped[int | None] = mapped_column(Integer)
    visibility: Mapped[Visibility] = mapped_column(string_enum(Visibility, "visibility"))
    title: Mapped[str] = mapped_column(String(50))


class SharedList(Note):
    household_edits = True


ACTORS = {
    "visitor": None,
    "owner": Actor(user_id=OWNER, role=Role.MEMBER, household_ids=frozenset({HOUSE})),
    "housemate": Actor(user_id=HOUSEMATE, role=Role.MEMBER, household_ids=frozenset({HOUSE})),
    "stranger": Actor(user_id=STRANGER, role=Role.MEMBER, household_ids=frozenset({OTHER_HOUSE})),
    "admin": Actor(user_id=ADMIN, role=Role.ADMIN, household_ids=frozenset()),
}

# visibility -> who may read it
READERS = {
    Visibility.PRIVATE: {"owner", "admin"},
    Visibility.HOUSEHOLD: {"owner", "housemate", "admin"},
    Visibility.PUBLIC: {"visitor", "owner", "housemate", "stranger", "admin"},
}


def _note(visibility: Visibility, **kw: object) -> Note:
    return Note(owner_id=OWNER, household_id=HOUSE, visibility=visibility, title=visibility, **kw)


@pytest.mark.parametrize("visibility", list(Visibility))
@pytest.mark.parametrize("who", list(ACTORS))
def test_can_read_matrix(visibility: Visibility, who: str) -> None:
    assert can_read(ACTORS[who], _note(visibility)) is (who in READERS[visibility])


@pytest.mark.parametrize("visibility", list(Visibility))
@pytest.mark.parametrize("who", list(ACTORS))
def test_can_edit_only_owner_and_admin(visibility: Visibility, who: str) -> None:
    assert can_edit(ACTORS[who], _note(visibility)) is (who in {"owner", "admin"})


def test_household_resources_are_edited_by_the_household() -> None:
    shared = SharedList(
        owner_id=OWNER, household_id=HOUSE, visibility=Visibility.HOUSEHOLD, title="x"
    )
    assert can_edit(ACTORS["housemate"], shared)
    assert not can_edit(ACTORS["stranger"], shared)


def test_read_only_token_cannot_edit() -> None:
    reader = Actor(user_id=OWNER, role=Role.MEMBER, can_write=False)
    assert not can_edit(reader, _note(Visibility.PRIVATE))


@pytest.mark.parametrize("who", list(ACTORS))
def test_editors_are_who_may_edit_with_any_token(who: str) -> None:
    actor = ACTORS[who]
    read_only = replace(actor, can_write=False) if actor is not None else None
    note = _note(Visibility.HOUSEHOLD)
    assert is_editor(actor, note) is is_editor(read_only, note) is can_edit(actor, note)
    if can_edit(actor, note):
        assert require_editor(read_only, note, NotFound) is note
    elif can_read(actor, note):
        with pytest.raises(Forbidden):
            require_editor(read_only, note, NotFound)
    else:
        with pytest.raises(NotFound):
            require_editor(read_only, note, NotFound)


@dataclass(frozen=True)
class _Owned:
    owner_id: int
    household_id: int | None
    visibility: Visibility


def _every_viewer() -> list[Actor | None]:
    viewers: list[Actor | None] = [None]
    houses = [HOUSE, OTHER_HOUSE, 30]
    for user_id in (OWNER, HOUSEMATE, STRANGER):
        for role in (Role.MEMBER, Role.ADMIN):
            for mask in range(2 ** len(houses)):
                joined = frozenset(h for i, h in enumerate(houses) if mask >> i & 1)
                viewers.append(Actor(user_id=user_id, role=role, household_ids=joined))
    return viewers


def test_a_household_reader_reads_what_members_read_as_members() -> None:
    """What is public or shared with the household; no one's private rows, not even those of
    its members, and nothing shared with another household."""
    reader = household_reader(HOUSE)
    readable = {
        (owner, household, visibility)
        for owner in (OWNER, HOUSEMATE, STRANGER)
        for household in (None, HOUSE, OTHER_HOUSE)
        for visibility in Visibility
        if can_read(reader, _Owned(owner, household, visibility))
    }
    assert readable == {
        (owner, household, visibility)
        for owner in (OWNER, HOUSEMATE, STRANGER)
        for household, visibility in (
            (None, Visibility.PUBLIC),
            (HOUSE, Visibility.PUBLIC),
            (OTHER_HOUSE, Visibility.PUBLIC),
            (HOUSE, Visibility.HOUSEHOLD),
        )
    }
    assert not reader.can_write


def test_read_keys_are_the_read_rule() -> None:
    """The keys a search index keeps for a resource open it to exactly the viewers
    ``can_read`` lets read it: every kind of viewer against every kind of resource."""
    resources = [
        _Owned(owner, household, visibility)
        for owner in (OWNER, HOUSEMATE, STRANGER)
        for household in (None, HOUSE, OTHER_HOUSE)
        for visibility in Visibility
    ]
    viewers = _every_viewer()
    for resource in resources:
        for viewer in viewers:
            shares_a_key = not read_keys(resource).isdisjoint(viewer_keys(viewer))
            assert shares_a_key is can_read(viewer, resource), (viewer, resource)
    assert len(resources) * len(viewers) > 1000


def test_hidden_is_not_found_visible_but_not_editable_is_forbidden() -> None:
    private = _note(Visibility.PRIVATE)
    with pytest.raises(NotFound):
        require_readable(ACTORS["stranger"], private, NotFound)
    with pytest.raises(NotFound):
        require_readable(ACTORS["owner"], None, NotFound)
    with pytest.raises(Forbidden):
        require_editable(ACTORS["stranger"], _note(Visibility.PUBLIC), NotFound)
    assert require_editable(ACTORS["owner"], private, NotFound) is private


@pytest.fixture
async def notes(connection: AsyncConnection, session: AsyncSession) -> None:
    id_type = "SERIAL" if connection.dialect.name == "postgresql" else "INTEGER"
    await connection.execute(
        text(
            f"CREATE TABLE policy_probe_notes (id {id_type} PRIMARY KEY, owner_id INTEGER, "
            "household_id INTEGER, visibility VARCHAR(9), title VARCHAR(50))"
        )
    )
    for visibility in Visibility:
        session.add(_note(visibility))
    session.add(
        Note(
            owner_id=STRANGER,
            household_id=OTHER_HOUSE,
            visibility=Visibility.HOUSEHOLD,
            title="stranger's",
        )
    )
    await session.flush()
    session.expunge_all()


async def _titles(session: AsyncSession, statement):  # type: ignore[no-untyped-def]
    return sorted((await session.scalars(statement)).all(), key=str)


async def test_query_without_scope_returns_nothing(notes: None, session: AsyncSession) -> None:
    assert await _titles(session, select(Note.title)) == []
    assert await session.get(Note, 1) is None


@pytest.mark.parametrize("who", list(ACTORS))
async def test_scoped_query_matches_can_read(who: str, notes: None, session: AsyncSession) -> None:
    viewer = ACTORS[who]
    rows = (await session.scalars(scoped(select(Note), viewer))).all()
    expected = {v.value for v in Visibility if who in READERS[v]}
    own = {n.title for n in rows if n.owner_id == OWNER}
    assert own == expected
    assert all(can_read(viewer, n) for n in rows)
    assert ("stranger's" in {n.title for n in rows}) is (who in {"stranger", "admin"})


async def test_scope_applies_to_get(notes: None, session: AsyncSession) -> None:
    private_id = 1
    assert await session.get(
        Note, private_id, execution_options={"recipevault_viewer": ACTORS["owner"]}
    )
    session.expunge_all()
    hidden = await session.get(
        Note, private_id, execution_options={"recipevault_viewer": ACTORS["stranger"]}
    )
    assert hidden is None


async def test_unscoped_reads_everything(notes: None, session: AsyncSession) -> None:
    assert len(await _titles(session, unscoped(select(Note.title)))) == 4


async def test_the_sql_rule_is_the_read_rule(
    notes: None, connection: AsyncConnection, session: AsyncSession
) -> None:
    """The rule in SQL, as listings run it (``read_rule`` with the viewer as parameters) and as
    scoped queries run it (``readable_by``), selects exactly the rows ``can_read`` allows: every
    kind of viewer against every kind of row."""
    for owner in (OWNER, HOUSEMATE, STRANGER):
        for household in (None, HOUSE, OTHER_HOUSE):
            for visibility in Visibility:
                session.add(
                    Note(owner_id=owner, household_id=household, visibility=visibility, title="x")
                )
    await session.flush()
    rows = (await session.scalars(unscoped(select(Note)))).all()
    table = Note.__table__
    for viewer in _every_viewer():
        allowed = {row.id for row in rows if can_read(viewer, row)}
        listed = await connection.execute(
            select(table.c.id).where(read_rule(viewer_kind(viewer), table)),
            read_parameters(viewer),
        )
        named = await connection.execute(select(table.c.id).where(readable_by(viewer, Note)))
        assert {row_id for (row_id,) in listed} == allowed, viewer
        assert {row_id for (row_id,) in named} == allowed, viewer
