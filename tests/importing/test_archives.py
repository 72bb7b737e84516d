from __future__ import annotations

import gzip
import hashlib
import io
import stat
import struct
import tempfile
import warnings
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from recipevault.config import Settings
from recipevault.importing.archives import ArchiveLimits, describe_size, gunzip, open_archive
from recipevault.importing.draft import SourceRejected
from tests.importing.samples import LIMITS, zip_of

MiB = 1024 * 1024


def noise(size: int, seed: int = 0) -> bytes:
    """Bytes that do not compress."""
    return hashlib.shake_256(str(seed).encode()).digest(size)


def patched(data: bytes, **fields: int) -> bytes:
    """A one-entry zip with header fields rewritten, as a hand-made malicious file would be."""
    buffer = bytearray(data)
    central, local = buffer.find(b"PK\x01\x02"), buffer.find(b"PK\x03\x04")
    offsets = {  # (central directory, local header) offsets of each field
        "flags": (8, 6, "<H"),
        "compress_size": (20, 18, "<I"),
        "file_size": (24, 22, "<I"),
    }
    for name, value in fields.items():
        in_central, in_local, layout = offsets[name]
        struct.pack_into(layout, buffer, central + in_central, value)
        struct.pack_into(layout, buffer, local + in_local, value)
    return bytes(buffer)


def read_everything(data: bytes | Path, limits: ArchiveLimits) -> None:
    with open_archive(data, limits) as archive:
        for name in archive.names():
            archive.read(name)


def rejected(data: bytes | Path, limits: ArchiveLimits = LIMITS) -> str:
    with pytest.raises(SourceRejected) as caught:
        read_everything(data, limits)
    return str(caught.value)


# --- What a good archive gives ----------------------------------------------------------------


def test_reads_files_but_not_folders() -> None:
    data = zip_of({"a/": b"", "a/one.txt": b"first", "two.txt": b"second"})
    with open_archive(data, LIMITS) as archive:
        assert archive.names() == ["a/one.txt", "two.txt"]
        assert archive.read("a/one.txt") == b"first"
        assert archive.size("two.txt") == 6
        assert archive.head("two.txt", 3) == b"sec"
        assert "a/one.txt" in archive
        assert "a" not in archive


def test_opens_a_file_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "upload.bin"
    path.write_bytes(zip_of({"recipe.json": b"{}"}))
    with open_archive(path, LIMITS) as archive:
        assert archive.read("recipe.json") == b"{}"


def test_limits_come_from_settings() -> None:
    settings = Settings(
        upload_max_bytes=2048,
        archive_max_entries=7,
        archive_max_uncompressed_bytes=4096,
        archive_max_ratio=9,
        archive_max_depth=2,
        image_max_bytes=5000,
        archive_max_entry_bytes=3000,
    )
    assert ArchiveLimits.from_settings(settings) == ArchiveLimits(2048, 7, 4096, 9, 2, 5000, 3000)


@pytest.mark.parametrize(
    ("size", "text"),
    [(512, "512 bytes"), (2048, "2 KB"), (int(1.5 * MiB), "1.5 MB"), (1024 * MiB, "1 GB")],
)
def test_sizes_read_as_people_say_them(size: int, text: str) -> None:
    assert describe_size(size) == text


# --- Refused before anything is read ---------------------------------------------------------


def test_not_a_zip() -> None:
    assert rejected(b'{"name": "soup"}') == "this file is not a zip archive"


def test_a_damaged_zip() -> None:
    assert rejected(b"PK\x03\x04" + b"\x00" * 100) == "this file is not a readable zip archive"


def test_an_upload_over_the_size_limit(tmp_path: Path) -> None:
    data = zip_of({"a.txt": noise(5000)})
    limits = replace(LIMITS, max_upload_bytes=4096)
    assert rejected(data, limits) == "the file is 5 KB; the limit is 4 KB"
    path = tmp_path / "big"
    path.write_bytes(data)
    assert rejected(path, limits) == "the file is 5 KB; the limit is 4 KB"


def test_too_many_entries() -> None:
    data = zip_of({f"{index}.txt": b"x" for index in range(1001)})
    message = rejected(data, replace(LIMITS, max_entries=1000))
    assert message == "the archive has 1,001 entries; the limit is 1,000"


def test_declared_size_over_the_limit() -> None:
    data = zip_of({"big.bin": noise(2 * MiB)}, compression=zipfile.ZIP_STORED)
    message = rejected(data, replace(LIMITS, max_uncompressed_bytes=MiB))
    assert message == "the archive would expand to 2 MB; the limit is 1 MB"


def test_an_entry_with_a_high_ratio() -> None:
    data = zip_of({"bomb.txt": bytes(20 * MiB)})
    assert len(data) < 100_000
    message = rejected(data)
    assert message == "an entry expands more than 200 times (possible zip bomb): bomb.txt"


def test_small_entries_that_compress_well_are_fine() -> None:
    with open_archive(zip_of({"blank.txt": b"\n" * 50_000}), LIMITS) as archive:
        assert len(archive.read("blank.txt")) == 50_000


def test_an_entry_that_stores_nothing_but_declares_content() -> None:
    small = patched(zip_of({"a.txt": b"hello"}), compress_size=0)
    assert rejected(small) == "an entry declares content but stores none: a.txt"
    large = patched(zip_of({"a.txt": b"hello"}), compress_size=0, file_size=5 * MiB)
    assert "possible zip bomb" in rejected(large)


def test_a_password_protected_entry() -> None:
    data = patched(zip_of({"a.txt": b"hello"}), flags=0x1)
    assert rejected(data) == "the archive is password-protected"


@pytest.mark.parametrize(
    "name", ["../x", "a/../../etc/passwd", "/etc/passwd", "C:/x", "C:\\x", "a\\b", "..", "."]
)
def test_unsafe_paths(name: str) -> None:
    assert rejected(zip_of({name: b"x"})) == f"the archive contains an unsafe path: {name}"


def test_a_symbolic_link() -> None:
    link = zipfile.ZipInfo("link")
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(link, "/etc/passwd")
    assert rejected(buffer.getvalue()) == "the archive contains a symbolic link: link"


@pytest.mark.parametrize("names", [("a.txt", "a.txt"), ("a/b.txt", "a/./b.txt")])
def test_the_same_name_twice(names: tuple[str, str]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns of the duplicate
        data = zip_of([(name, b"x") for name in names])
    assert rejected(data) == f"the archive contains {names[0]} more than once"


# --- Checked while reading --------------------------------------------------------------------


def test_a_header_that_understates_the_size() -> None:
    data = patched(zip_of({"a.bin": noise(300_000)}), file_size=1000)
    assert rejected(data) == "the archive is damaged: a.bin cannot be read"


def test_a_bomb_behind_a_lying_header_gets_no_further_than_declared() -> None:
    # Twenty megabytes of zeros declared as 100 kB: the ratio check passes, the reading stops.
    data = patched(zip_of({"bomb.txt": bytes(20 * MiB)}), file_size=100_000)
    with open_archive(data, LIMITS) as archive:
        with pytest.raises(SourceRejected, match="damaged"):
            archive.read("bomb.txt")
        assert archive._budget.bytes <= 100_000


def test_reading_stops_at_the_total_budget() -> None:
    data = zip_of({"a.bin": noise(600_000, 1), "b.bin": noise(600_000, 2)}, compression=0)
    limits = replace(LIMITS, max_uncompressed_bytes=1_000_000, max_upload_bytes=2 * MiB)
    assert rejected(data, limits).startswith("the archive would expand to")


# --- Archives in archives ---------------------------------------------------------------------


def russian_doll(levels: int) -> bytes:
    data = zip_of({"recipe.json": b"{}"})
    for _ in range(levels - 1):
        data = zip_of({"inner.zip": data})
    return data


def test_nested_archives_within_the_depth_limit() -> None:
    with (
        open_archive(russian_doll(3), LIMITS) as outer,
        outer.open_nested("inner.zip") as middle,
        middle.open_nested("inner.zip") as inner,
    ):
        assert inner.depth == 3
        assert inner.read("recipe.json") == b"{}"


def test_nested_archives_over_the_depth_limit() -> None:
    with open_archive(russian_doll(3), replace(LIMITS, max_depth=2)) as outer:
        middle = outer.open_nested("inner.zip")
        with pytest.raises(SourceRejected) as caught:
            middle.open_nested("inner.zip")
    assert str(caught.value) == "the archive nests archives more than 2 levels deep"


def test_nested_archives_share_the_entry_budget() -> None:
    inner = zip_of({f"{index}.txt": b"x" for index in range(3)})
    data = zip_of({"inner.zip": inner, "a.txt": b"a", "b.txt": b"b"})
    with (
        open_archive(data, replace(LIMITS, max_entries=5)) as outer,
        pytest.raises(SourceRejected, match="the archive has 6 entries; the limit is 5"),
    ):
        outer.open_nested("inner.zip")


def test_nested_archives_share_the_size_budget() -> None:
    inner = zip_of({"a.bin": noise(600_000)}, compression=zipfile.ZIP_STORED)
    data = zip_of({"inner.zip": inner}, compression=zipfile.ZIP_STORED)
    limits = replace(LIMITS, max_uncompressed_bytes=1_000_000)
    with open_archive(data, limits) as outer, pytest.raises(SourceRejected, match="would expand"):
        outer.open_nested("inner.zip")


def test_a_nested_bomb_is_refused() -> None:
    data = zip_of({"inner.zip": zip_of({"bomb.txt": bytes(20 * MiB)})})
    with open_archive(data, LIMITS) as outer, pytest.raises(SourceRejected, match="zip bomb"):
        outer.open_nested("inner.zip")


# --- Extracting to disk -----------------------------------------------------------------------


@pytest.fixture
def temp_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "temp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root


def test_extracts_into_a_folder_that_is_removed_afterwards(temp_root: Path) -> None:
    data = zip_of({"a/b.txt": b"one", "c.txt": b"two"})
    with open_archive(data, LIMITS) as archive, archive.extracted() as folder:
        assert folder.parent == temp_root.resolve()
        assert (folder / "a" / "b.txt").read_bytes() == b"one"
        assert (folder / "c.txt").read_bytes() == b"two"
    assert list(temp_root.iterdir()) == []


def test_the_folder_is_removed_when_the_caller_fails(temp_root: Path) -> None:
    with (
        open_archive(zip_of({"a.txt": b"one"}), LIMITS) as archive,
        pytest.raises(RuntimeError),
        archive.extracted(),
    ):
        raise RuntimeError("the caller failed")
    assert list(temp_root.iterdir()) == []


def test_the_folder_is_removed_when_extraction_fails(temp_root: Path) -> None:
    data = patched(zip_of({"a.bin": noise(300_000)}), file_size=1000)
    with (
        open_archive(data, LIMITS) as archive,
        pytest.raises(SourceRejected, match="damaged"),
        archive.extracted(),
    ):
        pytest.fail("extraction should not finish")
    assert list(temp_root.iterdir()) == []


def test_a_file_and_a_folder_of_the_same_name(temp_root: Path) -> None:
    with (
        open_archive(zip_of({"a": b"file", "a/b.txt": b"x"}), LIMITS) as archive,
        pytest.raises(SourceRejected, match=r"conflicting paths: a/b\.txt"),
        archive.extracted(),
    ):
        pass
    assert list(temp_root.iterdir()) == []


# --- gzip -------------------------------------------------------------------------------------


def test_gunzip_reads_every_member() -> None:
    assert gunzip(gzip.compress(b"one ") + gzip.compress(b"two"), LIMITS) == b"one two"


def test_gunzip_refuses_a_bomb() -> None:
    with pytest.raises(SourceRejected, match="possible zip bomb"):
        gunzip(gzip.compress(bytes(20 * MiB)), LIMITS)


def test_gunzip_refuses_output_over_the_budget() -> None:
    data = gzip.compress(noise(300_000))
    with pytest.raises(SourceRejected, match="expands to more than"):
        gunzip(data, replace(LIMITS, max_uncompressed_bytes=200_000))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"plain", "the data is not gzip-compressed"),
        (gzip.compress(noise(1000))[:-30], "the compressed data is cut short"),
        (b"\x1f\x8b\x08\x00" + b"\xff" * 40, "the compressed data is damaged"),
    ],
)
def test_gunzip_refuses_damaged_data(data: bytes, message: str) -> None:
    with pytest.raises(SourceRejected) as caught:
        gunzip(data, LIMITS)
    assert str(caught.value) == message
