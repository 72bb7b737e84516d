"""Password hashing (Argon2id through pwdlib) and the rules a new password must meet."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

import anyio.to_thread
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from recipevault.config import Settings
from recipevault.errors import ValidationFailed

MIN_LENGTH = 10
MAX_LENGTH = 256  # Argon2 accepts more; the cap keeps hashing cost bounded per request.


class WeakPassword(ValidationFailed):
    title = "Password not accepted"
    code = "weak-password"


@cache
def _common_passwords() -> frozenset[str]:
    text = files("recipevault.accounts").joinpath("common_passwords.txt").read_text("utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


def check_password_rules(password: str, *, email: str | None = None) -> None:
    """Raise ``WeakPassword`` naming the first rule the password breaks."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"The password must be at least {MIN_LENGTH} characters long.")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"The password must be at most {MAX_LENGTH} characters long.")
    lowered = password.lower()
    if lowered in _common_passwords():
        raise WeakPassword("The password is one of the most common passwords; choose another.")
    if email and lowered == email.lower():
        raise WeakPassword("The password must not be the email address.")


class PasswordHasher:
    """Hashes off the event loop: one Argon2id hash takes tens of milliseconds of CPU."""

    def __init__(self, *, time_cost: int, memory_kib: int, parallelism: int) -> None:
        self._hash = PasswordHash(
            (Argon2Hasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism),)
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> PasswordHasher:
        return cls(
            time_cost=settings.argon2_time_cost,
            memory_kib=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
        )

    async def hash(self, password: str) -> str:
        return await anyio.to_thread.run_sync(self._hash.hash, password)

    async def verify(self, password: str, password_hash: str) -> tuple[bool, str | None]:
        """Whether it matches, and a new hash when the stored one uses outdated parameters."""
        return await anyio.to_thread.run_sync(self._hash.verify_and_update, password, password_hash)

    async def burn(self, password: str) -> None:
        """Spend the time a real check would, so unknown emails answer as slowly as known ones."""
        await anyio.to_thread.run_sync(self._hash.hash, password)
