"""Who may read and change what: the one place the rules live.

Resources that belong to people mix in ``Scoped``: an owner, optionally a household, and a
visibility (``private``: the owner; ``household``: members of that household; ``public``:
everyone, signed in or not). Admins read and manage everything.

Reads fail closed. Every ORM query that touches a ``Scoped`` table is filtered by the viewer
named with ``scoped(statement, viewer)``; a query that names no viewer matches no rows at all,
so forgetting the scope can only hide data, never leak another tenant's rows. Work that runs
for no one in particular (jobs, purges) says so with ``unscoped(statement)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, Literal, Protocol, TypeVar

import sqlalchemy as sa
from sqlalchemy import ColumnElement, Executable, event
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, with_loader_criteria

from recipevault.accounts.models import Role
from recipevault.errors import Forbidden, NotFound


class Visibility(StrEnum):
    PRIVATE = "private"
    HOUSEHOLD = "household"
    PUBLIC = "public"


AuthMethod = Literal["session", "jwt", "api_token", "job"]


@dataclass(frozen=True, slots=True)
class Actor:
    """A signed-in person as far as authorization cares, built once per request."""

    user_id: int
    role: Role
    household_ids: frozenset[int] = field(default_factory=frozenset)
    owned_household_ids: frozenset[int] = field(default_factory=frozenset)
    via: AuthMethod = "jwt"
    can_write: bool = True
    session_id: int | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    def in_household(self, household_id: int | None) -> bool:
        return household_id is not None and household_id in self.household_ids

    def owns_household(self, household_id: int) -> bool:
        return household_id in self.owned_household_ids


Viewer = Actor | None  # None is a visitor


class Scoped:
    """Columns every owned resource has; mapped classes declare them with their foreign keys."""

    owner_id: Mapped[int]
    household_id: Mapped[int | None]
    visibility: Mapped[Visibility]
    # Meal plans and shopping lists are edited by the whole household; recipes by their owner.
    household_edits: ClassVar[bool] = False


class Owned(Protocol):
    """Anything with an owner, a household and a visibility: rows, or stored documents."""

    @property
    def owner_id(self) -> int: ...
    @property
    def household_id(self) -> int | None: ...
    @property
    def visibility(self) -> Visibility: ...


def household_reader(household_id: int) -> Actor:
    """A viewer standing for a household's members as such: what each of them may read because
    they belong to it (what is public, and what is shared with the household), and not what
    one of them may read for another reason (their own private rows, another household's).
    It owns nothing (no account has id 0) and may change nothing. For what the whole household
    sees, such as its meal plan."""
    return Actor(
        user_id=0, role=Role.MEMBER, household_ids=frozenset({household_id}), can_write=False
    )


def can_read(viewer: Viewer, resource: Owned) -> bool:
    if resource.visibility == Visibility.PUBLIC:
        return True
    if viewer is None:
        return False
    if viewer.is_admin or resource.owner_id == viewer.user_id:
        return True
    return resource.visibility == Visibility.HOUSEHOLD and viewer.in_household(
        resource.household_id
    )


ADMIN_KEY = "admin"
PUBLIC_KEY = "public"


def read_keys(resource: Owned) -> frozenset[str]:
    """``can_read`` as keys, for a store that cannot run the rule row by row (the search
    index): the keys that open ``resource``. A viewer may read it when it holds one of them
    (``viewer_keys``): admins, its owner (``u<id>``), everyone when it is public, and the
    members of its household (``h<id>``) when it is shared with them. Tests hold the two
    forms of the rule to each other."""
    keys = {ADMIN_KEY, f"u{resource.owner_id}"}
    if resource.visibility == Visibility.PUBLIC:
        keys.add(PUBLIC_KEY)
    elif resource.visibility == Visibility.HOUSEHOLD and resource.household_id is not None:
        keys.add(f"h{resource.household_id}")
    return frozenset(keys)


def viewer_keys(viewer: Viewer) -> frozenset[str]:
    """The keys ``viewer`` holds: see ``read_keys``."""
    if viewer is None:
        return frozenset({PUBLIC_KEY})
    if viewer.is_admin:
        return frozenset({ADMIN_KEY})
    households = (f"h{household_id}" for household_id in viewer.household_ids)
    return frozenset({PUBLIC_KEY, f"u{viewer.user_id}", *households})


def is_editor(viewer: Viewer, resource: Owned) -> bool:
    """Whether ``viewer`` is one of the people who may change ``resource`` (its owner, an admin,
    and for what a household edits together, its members), whatever their token's scope:
    they may read its history even through a read-only token."""
    if viewer is None:
        return False
    if viewer.is_admin or resource.owner_id == viewer.user_id:
        return True
    return bool(
        getattr(resource, "household_edits", False)
        and resource.visibility != Visibility.PRIVATE
        and viewer.in_household(resource.household_id)
    )


def can_edit(viewer: Viewer, resource: Owned) -> bool:
    """Whether this request may change ``resource``: an editor with a token that may write."""
    return viewer is not None and viewer.can_write and is_editor(viewer, resource)


R = TypeVar("R", bound=Scoped)


def require_readable(viewer: Viewer, resource: R | None, not_found: type[NotFound]) -> R:
    """The resource, or ``not_found`` whether it is missing or hidden: existence never leaks."""
    if resource is None or not can_read(viewer, resource):
        raise not_found()
    return resource


def require_editable(viewer: Viewer, resource: R | None, not_found: type[NotFound]) -> R:
    resource = require_readable(viewer, resource, not_found)
    if not can_edit(viewer, resource):
        raise Forbidden("You can read this but not change it.")
    return resource


def require_editor(viewer: Viewer, resource: R | None, not_found: type[NotFound]) -> R:
    """The resource, if ``viewer`` is one of its editors (to read what only they may, such as
    its history), whatever their token's scope."""
    resource = require_readable(viewer, resource, not_found)
    if not is_editor(viewer, resource):
        raise Forbidden("Only those who may change this can see that.")
    return resource


# --- Scoping ORM reads -------------------------------------------------------------------

_SCOPE_OPTION = "recipevault_viewer"


class _System:
    def __repr__(self) -> str:
        return "SYSTEM"


class _Visitor:
    def __repr__(self) -> str:
        return "VISITOR"


SYSTEM = _System()
_VISITOR = _Visitor()
E = TypeVar("E", bound=Executable)


def scoped(statement: E, viewer: Viewer) -> E:
    """Filter ``statement``'s scoped tables to what ``viewer`` may read."""
    return statement.execution_options(**{_SCOPE_OPTION: viewer or _VISITOR})


def unscoped(statement: E) -> E:
    """Deliberately read every tenant's rows (background work on behalf of the system)."""
    return statement.execution_options(**{_SCOPE_OPTION: SYSTEM})


ViewerKind = Literal["visitor", "member", "admin"]
"""What the SQL form of the rule depends on: a statement built for one kind serves every
viewer of that kind, the viewer being its parameters (``read_parameters``)."""


def viewer_kind(viewer: Viewer) -> ViewerKind:
    if viewer is None:
        return "visitor"
    return "admin" if viewer.is_admin else "member"


def _rule(kind: ViewerKind, rows: Any, viewer_id: Any, households: Any) -> ColumnElement[bool]:
    """``can_read`` in SQL: the one SQL form of the rule (tests hold it to ``can_read``)."""
    columns = getattr(rows, "c", rows)
    if kind == "admin":
        return sa.true()
    if kind == "visitor":
        return columns.visibility == Visibility.PUBLIC.value  # type: ignore[no-any-return]
    return sa.or_(
        columns.visibility == Visibility.PUBLIC.value,
        columns.owner_id == viewer_id,
        sa.and_(
            columns.visibility == Visibility.HOUSEHOLD.value,
            columns.household_id.in_(households),
        ),
    )


def read_rule(kind: ViewerKind, rows: Any) -> ColumnElement[bool]:
    """``can_read`` over ``rows`` (a scoped class, or a table or alias of one with
    ``owner_id``, ``visibility`` and ``household_id`` columns) for any viewer of ``kind``, who
    is given as the parameters ``viewer_id`` and ``viewer_households`` (``read_parameters``):
    for statements built once and run for many viewers (the listings)."""
    return _rule(
        kind, rows, sa.bindparam("viewer_id"), sa.bindparam("viewer_households", expanding=True)
    )


def read_parameters(viewer: Viewer) -> dict[str, Any]:
    """The parameters ``read_rule`` reads for ``viewer``."""
    if viewer is None or viewer.is_admin:
        return {}
    # A member of no household matches no household (an empty IN list is not portable).
    return {"viewer_id": viewer.user_id, "viewer_households": sorted(viewer.household_ids) or [-1]}


def readable_by(viewer: Viewer, rows: Any) -> ColumnElement[bool]:
    """``can_read`` over ``rows`` for ``viewer`` itself, its values in the statement: what
    ``scoped`` adds to ORM queries, and what a statement that must tell readable rows from
    the others names."""
    values = read_parameters(viewer)
    return _rule(
        viewer_kind(viewer), rows, values.get("viewer_id"), values.get("viewer_households", [])
    )


def _scoped_classes() -> list[type[Scoped]]:
    found: list[type[Scoped]] = []
    pending = list(Scoped.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if sa.inspect(cls, raiseerr=False) is not None:
            found.append(cls)
    return found


@event.listens_for(Session, "do_orm_execute")
def _scope_reads(state: ORMExecuteState) -> None:
    if not state.is_select or state.is_column_load or state.is_relationship_load:
        return
    viewer = state.execution_options.get(_SCOPE_OPTION)
    if viewer is SYSTEM or (isinstance(viewer, Actor) and viewer.is_admin):
        return
    # Criteria for every scoped class, not only those named in the statement: relationship
    # loads that reach one later inherit these options.
    options = [
        with_loader_criteria(
            cls,
            sa.false()
            if viewer is None
            else readable_by(None if viewer is _VISITOR else viewer, cls),
            include_aliases=True,
        )
        for cls in _scoped_classes()
    ]
    if options:
        state.statement = state.statement.options(*options)
