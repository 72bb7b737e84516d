"""A small file cannot make an import hold much in memory, however far it would inflate: reading
stops at ``max_entry_bytes`` and the entry is reported as unreadable."""

from __future__ import annotations

import hashlib
import io
import struct
import tracemalloc
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

import pytest

from recipevault.config import Settings
from recipevault.importing.archives import ArchiveLimits, gunzip, open_archive
from recipevault.importing.draft import SourceRejected
from recipevault.importing.formats.detect import read_import_file
from tests.importing.samples import zip_of

MiB = 1024 * 1024
# Defaults, as a server runs them: 16 MB per entry, a ratio of 200, a 1 GB budget.
LIMITS = ArchiveLimits.from_settings(Settings())
# What reading one of these files may allocate at its peak: the entry limit, the file itself
# with room for the allocator's rounding; not the hundreds of megabytes the files inflate to.
PEAK = LIMITS.max_entry_bytes + 8 * MiB
T = TypeVar("T")


@dataclass
class Peak:
    bytes: int = 0


@contextmanager
def measured() -> Iterator[Peak]:
    peak = Peak()
    tracemalloc.start()
    try:
        yield peak
    finally:
        peak.bytes = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()


def peak_of(call: Callable[[], T]) -> tuple[T | Exception, int]:
    with measured() as peak:
        try:
            result: T | Exception = call()
        except Exception as exc:
            result = exc
    return result, peak.bytes


def zeros_gzip(megabytes: int) -> bytes:
    """A valid gzip file of ``megabytes`` MiB of zeros, about 1 kB per MiB: each MiB is the same
    deflate block (the dictionary is reset after it), so it is compressed once."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    block = compressor.compress(bytes(MiB)) + compressor.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(megabytes):
        crc = zlib.crc32(bytes(MiB), crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    trailer = struct.pack("<II", crc, (megabytes * MiB) & 0xFFFFFFFF)
    return header + block * megabytes + compressor.flush() + trailer


def zip_with_dense_entry(name: str, megabytes: int) -> bytes:
    """A zip whose one entry inflates about 150 times: under the ratio that flags a bomb, so
    only the size of what it holds can stop it."""
    noise = hashlib.shake_256(name.encode()).digest(2500)
    block = noise + bytes(MiB - len(noise))
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
        archive.open(name, "w", force_zip64=True) as entry,
    ):
        for _ in range(megabytes):
            entry.write(block)
    return buffer.getvalue()


def test_a_gzip_bomb_stops_at_the_entry_limit() -> None:
    data = zeros_gzip(1000)  # 1 MB that inflates to 1 GB
    assert len(data) < 1.1 * MiB
    result, peak = peak_of(lambda: read_import_file(data, limits=LIMITS))
    assert isinstance(result, SourceRejected)
    assert str(result) == "the file expands to more than 16 MB, the most one entry may hold"
    assert peak < PEAK


def test_gunzip_gives_what_fits() -> None:
    data = zeros_gzip(3)
    limits = ArchiveLimits(max_ratio=10_000)
    assert gunzip(data, limits) == bytes(3 * MiB)
    with pytest.raises(SourceRejected, match="expands to more than 2 MB"):
        gunzip(data, ArchiveLimits(max_ratio=10_000, max_entry_bytes=2 * MiB))


def test_an_entry_under_the_bomb_ratio_is_not_read_past_the_entry_limit() -> None:
    data = zip_with_dense_entry("recipes/soup.json", 180)
    assert len(data) < 1.5 * MiB
    with open_archive(data, LIMITS) as archive:
        assert archive.size("recipes/soup.json") == 180 * MiB  # the ratio check lets it by
    result, peak = peak_of(lambda: read_import_file(data, limits=LIMITS))
    assert isinstance(result, SourceRejected)  # nothing readable left to tell its format
    assert peak < PEAK


def test_a_paprika_entry_that_inflates_too_far_is_one_failed_item() -> None:
    recipe = b'{"name": "Soup", "directions": "Heat.", "ingredients": "1 l water"}'
    data = zip_of(
        {
            "Soup.paprikarecipe": zlib.compress(recipe, wbits=31),
            "Bomb.paprikarecipe": zeros_gzip(1000),
        }
    )
    result, peak = peak_of(lambda: read_import_file(data, limits=LIMITS))
    assert not isinstance(result, Exception)
    assert [recipe.recipe.title for recipe in result.recipes] == ["Soup"]
    assert [(failure.item, failure.message) for failure in result.failures] == [
        (
            "Bomb.paprikarecipe",
            "Bomb.paprikarecipe expands to more than 16 MB, the most one entry may hold",
        )
    ]
    assert peak < PEAK


def test_a_nested_zip_over_the_entry_limit_is_one_failed_item() -> None:
    recipe = b'{"name": "Soup", "steps": [], "working_time": 5, "waiting_time": 0}'
    inner = zip_of({"recipe.json": recipe})
    noise = hashlib.shake_256(b"padding").digest(3 * MiB)
    big = zip_of({"recipe.json": recipe, "padding.bin": noise})
    data = zip_of({"soup.zip": inner, "big.zip": big})
    limits = ArchiveLimits(max_entry_bytes=2 * MiB)
    batch = read_import_file(data, limits=limits)
    assert [(failure.item, failure.message) for failure in batch.failures] == [
        ("big.zip", "big.zip expands to more than 2 MB, the most one entry may hold")
    ]
