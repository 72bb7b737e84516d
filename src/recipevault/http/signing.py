"""Values signed with the site's secret key, for cookies the browser holds but must not forge.

Each use names a purpose that is mixed into the signature, so a value signed for one cookie
is never accepted as another.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets


def new_secret(prefix: str = "") -> str:
    """A fresh random secret (256 bits, URL-safe), after ``prefix``."""
    return prefix + secrets.token_urlsafe(32)


def same_secret(given: str, expected: str) -> bool:
    """Whether two secrets are equal, in time that does not depend on where they differ."""
    return secrets.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def _signature(payload: bytes, *, key: str, purpose: str) -> str:
    digest = hmac.new(key.encode("utf-8"), purpose.encode("utf-8") + b"\x00" + payload, "sha256")
    return base64.urlsafe_b64encode(digest.digest()).decode("ascii").rstrip("=")


def sign(value: str, *, key: str, purpose: str) -> str:
    """``value`` as cookie-safe text followed by its signature."""
    payload = value.encode("utf-8")
    encoded = base64.urlsafe_b64encode(payload).decode("ascii").rstrip("=")
    return f"{encoded}.{_signature(payload, key=key, purpose=purpose)}"


def unsign(signed: str, *, key: str, purpose: str) -> str | None:
    """The value, or None when the text was not signed by us for this purpose."""
    encoded, dot, signature = signed.rpartition(".")
    if not dot:
        return None
    try:
        payload = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        value = payload.decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    expected = _signature(payload, key=key, purpose=purpose)
    if not hmac.compare_digest(expected.encode("ascii"), signature.encode("ascii", "replace")):
        return None
    return value


def derive(value: str, *, key: str, purpose: str) -> str:
    """A keyed digest of ``value``: who knows ``value`` but not the key cannot compute it."""
    return hmac.new(
        key.encode("utf-8"),
        purpose.encode("utf-8") + b"\x00" + value.encode("utf-8"),
        hashlib.sha256,
    ).hexdigest()
