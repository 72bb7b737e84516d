from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.accounts import service
from recipevault.accounts.models import Role
from recipevault.accounts.passwords import PasswordHasher, WeakPassword
from recipevault.accounts.schemas import UserCreate
from recipevault.audit.models import AuditEvent
from recipevault.clock import utcnow
from recipevault.config import Settings
from recipevault.registration.service import register_user
from tests.support.world import PASSWORD, hasher_for, make_user


async def _authenticate(session: AsyncSession, settings: Settings, email: str, password: str):  # type: ignore[no-untyped-def]
    return await service.authenticate(
        session,
        email=email,
        password=password,
        hasher=hasher_for(settings),
        settings=settings,
        ip="192.0.2.1",
    )


async def test_first_user_is_admin_and_later_ones_members(
    session: AsyncSession, settings: Settings
) -> None:
    first = await make_user(session, settings)
    second = await make_user(session, settings)
    assert first.role == Role.ADMIN
    assert second.role == Role.MEMBER


async def test_email_is_unique_whatever_its_case(session: AsyncSession, settings: Settings) -> None:
    await make_user(session, settings, email="Cook@Example.org")
    with pytest.raises(service.EmailTaken):
        await make_user(session, settings, email="cook@EXAMPLE.ORG")


async def test_closed_registration_refuses_but_cli_admin_creation_works(
    session: AsyncSession, settings: Settings
) -> None:
    await make_user(session, settings)
    data = UserCreate(email="late@example.org", password=PASSWORD, display_name="Late")
    with pytest.raises(service.RegistrationClosed):
        await register_user(
            session, data=data, hasher=hasher_for(settings), registration_open=False, ip=None
        )
    admin = await register_user(
        session,
        data=data,
        hasher=hasher_for(settings),
        registration_open=False,
        ip=None,
        admin=True,
    )
    assert admin.role == Role.ADMIN


async def test_weak_password_refused_at_registration(
    session: AsyncSession, settings: Settings
) -> None:
    with pytest.raises(WeakPassword, match="most common"):
        await make_user(session, settings, password="password123")


async def test_authenticate_records_login(session: AsyncSession, settings: Settings) -> None:
    user = await make_user(session, settings)
    signed_in = await _authenticate(session, settings, user.email, PASSWORD)
    assert signed_in.id == user.id
    assert user.last_login_at is not None
    actions = list(await session.scalars(select(AuditEvent.action)))
    assert "auth.login" in actions


async def test_wrong_password_and_unknown_email_fail_alike(
    session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(session, settings)
    with pytest.raises(service.SignInFailed) as wrong:
        await _authenticate(session, settings, user.email, "not the password")
    with pytest.raises(service.SignInFailed) as unknown:
        await _authenticate(session, settings, "nobody@example.org", "not the password")
    assert wrong.value.detail == unknown.value.detail == service.SIGN_IN_FAILED


async def test_repeated_failures_lock_the_account_for_a_while(
    session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(session, settings)
    with time_machine.travel(utcnow(), tick=False) as clock:
        for _ in range(settings.lockout_threshold):
            with pytest.raises(service.SignInFailed):
                await _authenticate(session, settings, user.email, "not the password")
        assert user.locked_until is not None
        with pytest.raises(service.AccountLocked) as locked:
            await _authenticate(session, settings, user.email, PASSWORD)
        assert int(locked.value.headers["Retry-After"]) == settings.lockout_minutes * 60

        clock.shift(timedelta(minutes=settings.lockout_minutes, seconds=1))
        assert (await _authenticate(session, settings, user.email, PASSWORD)).id == user.id
        assert user.failed_logins == 0


async def test_unlock_clears_the_lock(session: AsyncSession, settings: Settings) -> None:
    user = await make_user(session, settings)
    for _ in range(settings.lockout_threshold):
        with pytest.raises(service.SignInFailed):
            await _authenticate(session, settings, user.email, "not the password")
    service.unlock(user)
    assert (await _authenticate(session, settings, user.email, PASSWORD)).id == user.id


async def test_inactive_account_cannot_sign_in(session: AsyncSession, settings: Settings) -> None:
    user = await make_user(session, settings)
    await service.deactivate(session, user)
    with pytest.raises(service.SignInFailed):
        await _authenticate(session, settings, user.email, PASSWORD)


async def test_outdated_hash_is_replaced_at_sign_in(
    session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(session, settings)
    old_hash = user.password_hash
    stronger = settings.model_copy(update={"argon2_time_cost": 2})
    await service.authenticate(
        session,
        email=user.email,
        password=PASSWORD,
        hasher=PasswordHasher.from_settings(stronger),
        settings=stronger,
        ip=None,
    )
    assert user.password_hash != old_hash
    assert ",t=2," in user.password_hash
