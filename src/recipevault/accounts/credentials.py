"""Opaque secrets and signed access tokens. Pure functions: no database, no clock of their own.

Opaque secrets (refresh tokens, API tokens, session ids, mailed links) carry 256 bits of
randomness, so a plain SHA-256 of them is enough to store: there is nothing to brute-force.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt

JWT_ALGORITHM = "HS256"
JWT_ISSUER = "recipevault"
JWT_AUDIENCE = "recipevault-api"

API_TOKEN_PREFIX = "rvp_"  # noqa: S105 (a label, not a secret)
REFRESH_TOKEN_PREFIX = "rvr_"  # noqa: S105


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: int
    auth_epoch: int
    expires_at: datetime
    token_id: str


class InvalidAccessToken(Exception):
    """The token is malformed, forged, expired or meant for someone else."""


def encode_access_token(
    *, user_id: int, auth_epoch: int, secret_key: str, now: datetime, lifetime: timedelta
) -> tuple[str, AccessClaims]:
    claims = AccessClaims(
        user_id=user_id,
        auth_epoch=auth_epoch,
        expires_at=now + lifetime,
        token_id=uuid.uuid4().hex,
    )
    payload: dict[str, Any] = {
        "iss": JWT_ISSUER,
        "aud": JWT_AUDIENCE,
        "sub": str(user_id),
        "iat": int(now.timestamp()),
        "exp": int(claims.expires_at.timestamp()),
        "jti": claims.token_id,
        "ver": auth_epoch,
    }
    return jwt.encode(payload, secret_key, algorithm=JWT_ALGORITHM), claims


def decode_access_token(token: str, *, secret_key: str, now: datetime) -> AccessClaims:
    try:
        payload = jwt.decode(
            token,
            secret_key,
            algorithms=[JWT_ALGORITHM],  # pinned: "none" and algorithm confusion are refused
            audience=JWT_AUDIENCE,
            issuer=JWT_ISSUER,
            options={
                "require": ["iss", "aud", "sub", "exp", "iat", "jti"],
                "verify_exp": False,  # checked below against our clock
            },
        )
        expires = int(payload["exp"])
        user_id = int(payload["sub"])
        epoch = int(payload.get("ver", 0))
        token_id = str(payload["jti"])
    except (jwt.PyJWTError, ValueError, TypeError, KeyError) as exc:
        raise InvalidAccessToken(str(exc)) from None
    if expires <= now.timestamp():
        raise InvalidAccessToken("token expired")
    return AccessClaims(
        user_id=user_id,
        auth_epoch=epoch,
        expires_at=datetime.fromtimestamp(expires, tz=now.tzinfo),
        token_id=token_id,
    )


def new_invite_code() -> str:
    """Readable over the phone: 3 groups of 4 from an alphabet without 0/O or 1/I/L (~59 bits)."""
    alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
    raw = "".join(secrets.choice(alphabet) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def normalize_invite_code(code: str) -> str:
    cleaned = "".join(ch for ch in code.upper() if ch.isalnum())
    return f"{cleaned[:4]}-{cleaned[4:8]}-{cleaned[8:]}" if len(cleaned) == 12 else cleaned
