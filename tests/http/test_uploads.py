"""The size checks every multipart upload goes through before and while it is read."""

from __future__ import annotations

import io

import pytest
from starlette.datastructures import FormData, Headers, UploadFile
from starlette.requests import Request

from recipevault.http.uploads import (
    MULTIPART_OVERHEAD,
    FileMissing,
    FileTooLarge,
    LengthRequired,
    UploadedFile,
    check_declared_length,
    describe_size,
    read_file,
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


def _form(size: int, name: str = "soup.zip") -> FormData:
    upload = UploadFile(io.BytesIO(b"x" * size), filename=name, headers=Headers({}))
    return FormData([("file", upload), ("note", "kept")])


async def test_a_file_is_read_up_to_its_limit_and_no_further() -> None:
    assert await read_file(_form(10), 10) == UploadedFile(b"x" * 10, "soup.zip")
    assert await read_file(_form(0), 10) == UploadedFile(b"", "soup.zip")
    with pytest.raises(FileTooLarge):
        await read_file(_form(11), 10)


async def test_a_form_without_a_chosen_file_has_none() -> None:
    with pytest.raises(FileMissing):
        await read_file(FormData([("note", "no file")]), 10)
    with pytest.raises(FileMissing):  # a browser's empty part when nothing was chosen
        await read_file(_form(0, name=""), 10)
    with pytest.raises(FileMissing):  # text where a file belongs
        await read_file(FormData([("file", "soup.zip")]), 10)


@pytest.mark.parametrize(
    ("size", "round_up", "described"),
    [
        (2048, False, "2 KB"),
        (200_000, False, "195.3 KB"),
        (200_000, True, "195.4 KB"),
        (10 * 1024 * 1024, False, "10 MB"),
        (100 * 1024 * 1024, False, "100 MB"),
        (1_500_000, False, "1.4 MB"),
    ],
)
def test_sizes_read_as_people_read_them(size: int, round_up: bool, described: str) -> None:
    assert describe_size(size, round_up=round_up) == described
