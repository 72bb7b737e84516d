from __future__ import annotations

import pytest

from recipevault.http.signing import derive, sign, unsign

KEY = "k" * 40


def test_signed_value_round_trips() -> None:
    signed = sign('[["success", "Saved ✓"]]', key=KEY, purpose="flash")
    assert unsign(signed, key=KEY, purpose="flash") == '[["success", "Saved ✓"]]'


@pytest.mark.parametrize(
    "change",
    [
        lambda s: s.replace(s[0], "A" if s[0] != "A" else "B", 1),  # payload edited
        lambda s: s[:-2],  # signature cut
        lambda s: s.split(".")[0],  # signature dropped
        lambda s: "",
        lambda s: "not base64!.abc",
    ],
)
def test_tampered_values_are_refused(change: object) -> None:
    signed = sign("hello", key=KEY, purpose="flash")
    assert callable(change)
    assert unsign(change(signed), key=KEY, purpose="flash") is None


def test_purpose_and_key_are_part_of_the_signature() -> None:
    signed = sign("hello", key=KEY, purpose="flash")
    assert unsign(signed, key=KEY, purpose="other") is None
    assert unsign(signed, key="x" * 40, purpose="flash") is None


def test_derive_depends_on_value_key_and_purpose() -> None:
    base = derive("cookie", key=KEY, purpose="form")
    assert base == derive("cookie", key=KEY, purpose="form")
    assert base != derive("cookie2", key=KEY, purpose="form")
    assert base != derive("cookie", key="y" * 40, purpose="form")
    assert base != derive("cookie", key=KEY, purpose="other")
