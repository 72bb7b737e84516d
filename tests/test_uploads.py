"""The size checks every multipart upload goes through before and while it is read."""

from __future__ import annotations

import io

import pytest
from starlette.datastructures import Headers, UploadFile
from starlette.requests import Request

from recipevault.uploads import (
    MULTIPART_OVERHEAD,
    LengthRequired,
    check_declared_length,
    read_at_most,
)


class TooLarge(Exception):
    pass


def _request(headers: dict[str, str]) -> Request:
    raw = [(name.encode(), value.encode()) for name, value in headers.items()]
    return Request({"type": "http", "method": "POST", "path": "/", "headers": raw})


@pytest.mark.parametrize("length", [None, "", "12a", "-5", "1e3"])
def test_an_upload_must_declare_its_length(length: str | None) -> None:
    headers = {} if length is None else {"content-length": length}
    with pytest.raises(LengthRequired):
        check_declared_length(_request(headers), 1000, TooLarge())


def test_the_declared_length_may_exceed_the_file_limit_by_the_framing_only() -> None:
    fits = _request({"content-length": str(1000 + MULTIPART_OVERHEAD)})
    check_declared_length(fits, 1000, TooLarge())
    over = _request({"content-length": str(1001 + MULTIPART_OVERHEAD)})
    with pytest.raises(TooLarge):
        check_declared_length(over, 1000, TooLarge())


async def test_a_file_is_read_up_to_its_limit_and_no_further() -> None:
    def upload(size: int) -> UploadFile:
        return UploadFile(io.BytesIO(b"x" * size), headers=Headers({}))

    assert await read_at_most(upload(10), 10) == b"x" * 10
    assert await read_at_most(upload(0), 10) == b""
    assert await read_at_most(upload(11), 10) is None
