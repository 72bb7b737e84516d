from __future__ import annotations

import os
from pathlib import Path

import pytest

from recipevault.media.storage import (
    InvalidMediaKey,
    LocalMediaStorage,
    MediaNotFound,
    MediaStorage,
    storage_from_settings,
    validate_key,
)
from tests.support.app import make_settings

KEY = "recipes/12/34/960-0123456789abcdef.webp"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "media"


@pytest.fixture
def storage(root: Path) -> LocalMediaStorage:
    return LocalMediaStorage(root)


def _files(root: Path) -> list[str]:
    """Every file below ``root``, as keys; blocking, so async tests call it, not inline it."""
    return sorted(path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file())


def _folders(root: Path) -> list[str]:
    return sorted(path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_dir())


@pytest.mark.parametrize(
    "key",
    [
        "a",
        "photo.webp",
        KEY,
        "backups/2026-05-09_12-00.tar.gz",
        "A-Z_a-z.0-9",
        "x" * 128,
    ],
)
def test_valid_keys(key: str) -> None:
    assert validate_key(key) == key


@pytest.mark.parametrize(
    "key",
    [
        "",
        "/etc/passwd",
        "../secret",
        "recipes/../../secret",
        "recipes/..",
        "recipes/./1",
        ".",
        "..",
        ".hidden",
        "recipes/.tmp-123",
        "recipes//1",
        "recipes/1/",
        "recipes\\..\\..\\secret",
        "C:/windows",
        "recipes/1 2",
        "recipes/caf\u00e9.webp",
        "recipes/%2e%2e/secret",
        "recipes/1\x00.webp",
        "recipes/1\n",
        "~/secret",
        "x" * 129,
        "a/" * 256 + "a",
    ],
)
async def test_invalid_keys_are_refused_by_every_operation(
    storage: LocalMediaStorage, root: Path, key: str
) -> None:
    with pytest.raises(InvalidMediaKey):
        validate_key(key)
    with pytest.raises(InvalidMediaKey):
        await storage.put(key, b"data", content_type="image/webp")
    with pytest.raises(InvalidMediaKey):
        await storage.get(key)
    with pytest.raises(InvalidMediaKey):
        await storage.exists(key)
    with pytest.raises(InvalidMediaKey):
        await storage.delete(key)
    with pytest.raises(InvalidMediaKey):
        await storage.path_for(key)
    with pytest.raises(InvalidMediaKey):
        await storage.open_stream(key)
    assert _files(root) == []


@pytest.mark.parametrize("prefix", ["/", "/etc", "../", "recipes/../", "a//", "a\\b", "recipes/ x"])
async def test_invalid_prefixes_are_refused(storage: LocalMediaStorage, prefix: str) -> None:
    with pytest.raises(InvalidMediaKey):
        await storage.list(prefix)
    with pytest.raises(InvalidMediaKey):
        await storage.delete_prefix(prefix)


async def test_put_get_exists_round_trip(storage: LocalMediaStorage, root: Path) -> None:
    assert not await storage.exists(KEY)
    await storage.put(KEY, b"first", content_type="image/webp")
    assert await storage.exists(KEY)
    assert await storage.get(KEY) == b"first"
    assert (root / KEY).read_bytes() == b"first"
    assert (root / KEY).stat().st_mode & 0o777 == 0o644


async def test_put_replaces_atomically_and_leaves_no_temporary_files(
    storage: LocalMediaStorage, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await storage.put(KEY, b"old", content_type="image/webp")
    await storage.put(KEY, b"new", content_type="image/webp")
    assert await storage.get(KEY) == b"new"
    assert _files(root) == [KEY]

    def failing_replace(source: str, destination: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        await storage.put(KEY, b"half-written", content_type="image/webp")
    assert await storage.get(KEY) == b"new"
    assert _files(root) == [KEY]


async def test_get_missing_raises_media_not_found(storage: LocalMediaStorage) -> None:
    with pytest.raises(MediaNotFound) as caught:
        await storage.get(KEY)
    assert caught.value.status_code == 404
    with pytest.raises(MediaNotFound):
        await storage.get("recipes")  # a folder is not a file
    await storage.put(KEY, b"data", content_type="image/webp")
    with pytest.raises(MediaNotFound):
        await storage.get("recipes/12")
    with pytest.raises(MediaNotFound):
        await storage.get(KEY + "/below-a-file")


async def test_delete_is_idempotent(storage: LocalMediaStorage) -> None:
    await storage.put(KEY, b"data", content_type="image/webp")
    await storage.delete(KEY)
    assert not await storage.exists(KEY)
    await storage.delete(KEY)
    await storage.delete("never/stored")


async def test_list_returns_sorted_keys_under_a_prefix(storage: LocalMediaStorage) -> None:
    keys = [
        "recipes/1/1/320-aaaaaaaaaaaaaaaa.webp",
        "recipes/1/2/320-bbbbbbbbbbbbbbbb.webp",
        "recipes/10/3/320-cccccccccccccccc.webp",
        "recipes/2/4/320-dddddddddddddddd.webp",
        "backups/latest.tar.gz",
        "top.txt",
    ]
    for key in keys:
        await storage.put(key, key.encode(), content_type="application/octet-stream")

    assert await storage.list() == sorted(keys)
    assert await storage.list("recipes/") == sorted(keys[:4])
    assert await storage.list("recipes/1/") == keys[:2]
    assert await storage.list("recipes/1") == sorted(keys[:3])
    assert await storage.list("recipes/1/2/320-") == [keys[1]]
    assert await storage.list("recipes/3/") == []
    assert await storage.list("nothing-here") == []


async def test_list_skips_temporary_and_hidden_files(
    storage: LocalMediaStorage, root: Path
) -> None:
    await storage.put(KEY, b"data", content_type="image/webp")
    (root / "recipes" / ".tmp-abc123").write_bytes(b"left by a crash")
    (root / ".hidden").mkdir()
    (root / ".hidden" / "file").write_bytes(b"x")
    assert await storage.list() == [KEY]
    assert await LocalMediaStorage(root / "missing").list() == []


async def test_delete_prefix_removes_keys_and_empty_folders(
    storage: LocalMediaStorage, root: Path
) -> None:
    for key in ["recipes/1/1/a.webp", "recipes/1/1/b.webp", "recipes/1/2/c.webp"]:
        await storage.put(key, b"x", content_type="image/webp")
    await storage.put("recipes/10/1/d.webp", b"x", content_type="image/webp")

    assert await storage.delete_prefix("recipes/1/1/") == 2
    assert "recipes/1/1" not in _folders(root)
    assert await storage.list() == ["recipes/1/2/c.webp", "recipes/10/1/d.webp"]

    assert await storage.delete_prefix("recipes/1/") == 1
    assert _folders(root) == ["recipes", "recipes/10", "recipes/10/1"]
    assert await storage.delete_prefix("recipes/1/") == 0
    assert await storage.list() == ["recipes/10/1/d.webp"]

    # A folder emptied by delete_prefix can be written to again.
    await storage.put("recipes/1/1/a.webp", b"again", content_type="image/webp")
    assert await storage.get("recipes/1/1/a.webp") == b"again"


async def test_delete_prefix_refuses_the_empty_prefix(storage: LocalMediaStorage) -> None:
    await storage.put(KEY, b"data", content_type="image/webp")
    with pytest.raises(InvalidMediaKey):
        await storage.delete_prefix("")
    assert await storage.exists(KEY)


async def test_path_for_and_open_stream(storage: LocalMediaStorage, root: Path) -> None:
    data = os.urandom(200_000)
    await storage.put(KEY, data, content_type="image/webp")
    path = await storage.path_for(KEY)
    assert path == root / KEY
    assert path.is_relative_to(root)

    stream = await storage.open_stream(KEY)
    chunks = [chunk async for chunk in stream]
    assert len(chunks) > 1
    assert b"".join(chunks) == data

    with pytest.raises(MediaNotFound):
        await storage.path_for("recipes/missing.webp")
    with pytest.raises(MediaNotFound):
        await storage.open_stream("recipes/missing.webp")


async def test_files_stay_under_the_root(tmp_path: Path) -> None:
    root = tmp_path / "inside" / "media"
    storage = LocalMediaStorage(root)
    for key in ["a.webp", "recipes/1/2/3.webp", "deep/" * 20 + "leaf"]:
        await storage.put(key, b"x", content_type="image/webp")
    assert _files(tmp_path) == [f"inside/media/{key}" for key in await storage.list()]
    assert await storage.list() == sorted(["a.webp", "recipes/1/2/3.webp", "deep/" * 20 + "leaf"])


def test_storage_from_settings_uses_the_media_folder(tmp_path: Path) -> None:
    storage: MediaStorage = storage_from_settings(
        make_settings("sqlite:///:memory:", media_dir=tmp_path / "m")
    )
    assert isinstance(storage, LocalMediaStorage)
    assert storage.root == (tmp_path / "m").resolve()
