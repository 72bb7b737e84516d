from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from recipevault.accounts.credentials import (
    InvalidAccessToken,
    decode_access_token,
    encode_access_token,
    hash_secret,
    new_invite_code,
    normalize_invite_code,
)
from recipevault.http.signing import new_secret

SECRET = "s" * 40
NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def _token() -> str:
    token, _ = encode_access_token(
        user_id=7, auth_epoch=2, secret_key=SECRET, now=NOW, lifetime=timedelta(minutes=15)
    )
    return token


def test_access_token_round_trip_and_claims() -> None:
    token = _token()
    claims = decode_access_token(token, secret_key=SECRET, now=NOW + timedelta(minutes=14))
    assert (claims.user_id, claims.auth_epoch) == (7, 2)
    payload = jwt.decode(
        token,
        SECRET,
        algorithms=["HS256"],
        audience="recipevault-api",
        options={"verify_exp": False},
    )
    assert {"iss", "aud", "sub", "exp", "iat", "jti"} <= payload.keys()
    assert payload["exp"] - payload["iat"] == 15 * 60


def test_expired_token_is_refused() -> None:
    with pytest.raises(InvalidAccessToken):
        decode_access_token(_token(), secret_key=SECRET, now=NOW + timedelta(minutes=15))


def test_wrong_key_is_refused() -> None:
    with pytest.raises(InvalidAccessToken):
        decode_access_token(_token(), secret_key="t" * 40, now=NOW)


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def test_alg_none_is_refused() -> None:
    claims = jwt.decode(_token(), options={"verify_signature": False})
    forged = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
    with pytest.raises(InvalidAccessToken):
        decode_access_token(forged, secret_key=SECRET, now=NOW)


def test_tampered_payload_is_refused() -> None:
    header, payload, signature = _token().split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["sub"] = "1"
    with pytest.raises(InvalidAccessToken):
        decode_access_token(f"{header}.{_b64(claims)}.{signature}", secret_key=SECRET, now=NOW)


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "Bearer x", "é" * 50])
def test_garbage_is_refused(garbage: str) -> None:
    with pytest.raises(InvalidAccessToken):
        decode_access_token(garbage, secret_key=SECRET, now=NOW)


def test_secrets_are_random_and_hashed() -> None:
    first, second = new_secret("rvp_"), new_secret("rvp_")
    assert first != second
    assert first.startswith("rvp_")
    assert len(hash_secret(first)) == 64
    assert hash_secret(first) != first


def test_invite_codes_are_readable_and_normalised() -> None:
    code = new_invite_code()
    assert len(code) == 14
    assert code.count("-") == 2
    assert not set(code) & set("01OIL")
    assert normalize_invite_code(code.lower().replace("-", " ")) == code
