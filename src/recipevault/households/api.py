"""/api/v1/households: create, list, rename, invite, join, leave, remove, transfer."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Response, status

from recipevault.deps import ClientDep, CurrentUser, SessionDep, SettingsDep, SiteUrlDep
from recipevault.households import service
from recipevault.households.schemas import (
    HouseholdCreate,
    HouseholdDetail,
    HouseholdRead,
    HouseholdUpdate,
    InviteCreate,
    InviteCreated,
    InviteRead,
    JoinRequest,
    MemberRead,
    TransferRequest,
)
from recipevault.http.schemas import Id

router = APIRouter(prefix="/api/v1/households", tags=["households"])


def _read(view: service.HouseholdView) -> HouseholdRead:
    h = view.household
    return HouseholdRead(
        id=h.id,
        name=h.name,
        is_personal=h.is_personal,
        role=view.role,
        member_count=view.member_count,
        created_at=h.created_at,
    )


@router.get("", response_model=list[HouseholdRead])
async def list_households(actor: CurrentUser, session: SessionDep) -> list[HouseholdRead]:
    """The households you belong to, your personal one first."""
    return [_read(view) for view in await service.list_households(session, actor=actor)]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=HouseholdRead)
async def create_household(
    data: HouseholdCreate,
    actor: CurrentUser,
    session: SessionDep,
    response: Response,
    client: ClientDep,
) -> HouseholdRead:
    view = await service.create_household(session, actor=actor, name=data.name, ip=client.ip)
    response.headers["Location"] = f"{router.prefix}/{view.household.id}"
    return _read(view)


@router.post("/join", response_model=HouseholdRead, responses={404: {}, 409: {}})
async def join_household(
    data: JoinRequest, actor: CurrentUser, session: SessionDep, client: ClientDep
) -> HouseholdRead:
    """Join with an invite code an owner shared with you."""
    return _read(await service.join_household(session, actor=actor, code=data.code, ip=client.ip))


@router.get("/{household_id:int}", response_model=HouseholdDetail, responses={404: {}})
async def read_household(
    household_id: Id, actor: CurrentUser, session: SessionDep
) -> HouseholdDetail:
    view, members = await service.get_household(session, actor=actor, household_id=household_id)
    return HouseholdDetail(
        **_read(view).model_dump(),
        members=[MemberRead.model_validate(m, from_attributes=True) for m in members],
    )


@router.patch("/{household_id:int}", response_model=HouseholdRead, responses={403: {}, 404: {}})
async def rename_household(
    household_id: Id,
    data: HouseholdUpdate,
    actor: CurrentUser,
    session: SessionDep,
    client: ClientDep,
) -> HouseholdRead:
    view = await service.rename_household(
        session, actor=actor, household_id=household_id, name=data.name, ip=client.ip
    )
    return _read(view)


@router.post(
    "/{household_id:int}/invites",
    status_code=status.HTTP_201_CREATED,
    response_model=InviteCreated,
    responses={403: {}, 404: {}},
)
async def create_invite(
    household_id: Id,
    data: InviteCreate,
    actor: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    site_url: SiteUrlDep,
    client: ClientDep,
) -> InviteCreated:
    """An invite code (and link) that lets anyone who has it join; it expires."""
    days = data.expires_in_days or settings.household_invite_days
    invite, code = await service.create_invite(
        session,
        actor=actor,
        household_id=household_id,
        lifetime=timedelta(days=days),
        ip=client.ip,
    )
    return InviteCreated.issued(invite, code=code, site_url=site_url)


@router.get("/{household_id:int}/invites", response_model=list[InviteRead])
async def list_invites(
    household_id: Id, actor: CurrentUser, session: SessionDep
) -> list[InviteRead]:
    invites = await service.list_invites(session, actor=actor, household_id=household_id)
    return [InviteRead.model_validate(invite) for invite in invites]


@router.delete(
    "/{household_id:int}/invites/{invite_id:int}", status_code=status.HTTP_204_NO_CONTENT
)
async def revoke_invite(
    household_id: Id,
    invite_id: Id,
    actor: CurrentUser,
    session: SessionDep,
    client: ClientDep,
) -> None:
    await service.revoke_invite(
        session, actor=actor, household_id=household_id, invite_id=invite_id, ip=client.ip
    )


@router.post(
    "/{household_id:int}/leave",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={404: {}, 409: {}},
)
async def leave_household(
    household_id: Id, actor: CurrentUser, session: SessionDep, client: ClientDep
) -> None:
    await service.leave_household(session, actor=actor, household_id=household_id, ip=client.ip)


@router.delete(
    "/{household_id:int}/members/{user_id:int}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={403: {}, 404: {}, 409: {}},
)
async def remove_member(
    household_id: Id, user_id: Id, actor: CurrentUser, session: SessionDep, client: ClientDep
) -> None:
    await service.remove_member(
        session, actor=actor, household_id=household_id, user_id=user_id, ip=client.ip
    )


@router.post(
    "/{household_id:int}/transfer", response_model=HouseholdRead, responses={403: {}, 404: {}}
)
async def transfer_ownership(
    household_id: Id,
    data: TransferRequest,
    actor: CurrentUser,
    session: SessionDep,
    client: ClientDep,
) -> HouseholdRead:
    """Make another member the owner; you stay on as a member."""
    view = await service.transfer_ownership(
        session, actor=actor, household_id=household_id, user_id=data.user_id, ip=client.ip
    )
    return _read(view)
