from __future__ import annotations

import pytest

from recipevault.accounts.passwords import PasswordHasher, WeakPassword, check_password_rules


@pytest.mark.parametrize(
    ("password", "rule"),
    [
        ("short", "at least 10 characters"),
        ("x" * 257, "at most 256 characters"),
        ("password123", "most common passwords"),
        ("QwertyUiop", "most common passwords"),
        ("cook@example.org", "must not be the email address"),
    ],
)
def test_password_rules_name_the_rule_broken(password: str, rule: str) -> None:
    with pytest.raises(WeakPassword, match=rule):
        check_password_rules(password, email="cook@example.org")


def test_good_password_passes() -> None:
    check_password_rules("correct horse battery", email="cook@example.org")


async def test_hash_is_argon2id_and_verifies() -> None:
    hasher = PasswordHasher(time_cost=1, memory_kib=64, parallelism=1)
    hashed = await hasher.hash("correct horse battery")
    assert hashed.startswith("$argon2id$")
    assert await hasher.verify("correct horse battery", hashed) == (True, None)
    assert (await hasher.verify("wrong horse battery", hashed))[0] is False


async def test_changed_parameters_ask_for_rehash() -> None:
    old = PasswordHasher(time_cost=1, memory_kib=64, parallelism=1)
    new = PasswordHasher(time_cost=2, memory_kib=128, parallelism=1)
    matches, rehashed = await new.verify(
        "correct horse battery", await old.hash("correct horse battery")
    )
    assert matches is True
    assert rehashed is not None
    assert "m=128,t=2" in rehashed
