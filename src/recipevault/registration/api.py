"""POST /api/v1/auth/register: creating an account over the API."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from recipevault import site_settings
from recipevault.accounts import recovery
from recipevault.accounts.schemas import UserCreate, UserRead
from recipevault.deps import ClientDep, HasherDep, MailerDep, SessionDep, SettingsDep, SiteUrlDep
from recipevault.registration import service

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    response_model=UserRead,
    responses={403: {"description": "Registration is closed"}, 409: {"description": "Email taken"}},
)
async def register(
    data: UserCreate,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    site_url: SiteUrlDep,
    hasher: HasherDep,
    mailer: MailerDep,
    client: ClientDep,
) -> UserRead:
    """Create an account (the first one on a site becomes its admin)."""
    user = await service.register_user(
        session,
        data=data,
        hasher=hasher,
        registration_open=await site_settings.registration_open(session, settings=settings),
        ip=client.ip,
    )
    await recovery.send_verification(
        session, user=user, settings=settings, site_url=site_url, mailer=mailer
    )
    response.headers["Location"] = "/api/v1/users/me"
    return UserRead.model_validate(user)
