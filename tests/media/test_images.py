from __future__ import annotations

import hashlib
import io
import struct
import warnings
import zlib
from concurrent.futures import ThreadPoolExecutor

import pytest
from PIL import ExifTags, Image, features

from recipevault.media.images import (
    DAMAGED,
    NOT_AN_IMAGE,
    TOO_LARGE,
    ImageInfo,
    ImageVariant,
    InvalidImage,
    inspect_image,
    render_variants,
    variant_key,
)

MB = 1024 * 1024
MAX_BYTES = 10 * MB
MAX_PIXELS = 50_000_000
WIDTHS = (320, 960, 2048)
RED = (255, 0, 0)
BLUE = (0, 0, 255)
# Chunks a WebP file may hold that carry pixels only (no EXIF, XMP or ICCP).
PIXEL_CHUNKS = {b"VP8 ", b"VP8L", b"VP8X", b"ALPH"}


def _encode(image: Image.Image, kind: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=kind, **options)
    return buffer.getvalue()


def _random_bytes(count: int, seed: int) -> bytes:
    """The same bytes for the same seed, so encoded test images are equal run after run."""
    return hashlib.shake_256(seed.to_bytes(4, "big")).digest(count)


def _noise(size: tuple[int, int], seed: int = 1) -> Image.Image:
    width, height = size
    return Image.frombytes("RGB", size, _random_bytes(width * height * 3, seed))


def _camera_jpeg() -> bytes:
    """A 400x200 JPEG, red on the left and blue on the right, stored sideways (orientation 6)
    with a camera model, a GPS position and a colour profile."""
    image = Image.new("RGB", (400, 200), BLUE)
    image.paste(RED, (0, 0, 200, 200))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Model] = "Pocket Camera"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (51.0, 30.0, 12.0)
    return _encode(image, "JPEG", exif=exif, icc_profile=b"not-a-real-profile")


def _png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` x ``height`` pixels."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunks = [(b"IHDR", header), (b"IDAT", zlib.compress(b"\0" * 4096)), (b"IEND", b"")]
    return b"\x89PNG\r\n\x1a\n" + b"".join(chunk(kind, body) for kind, body in chunks)


def _webp_declaring(width: int, height: int) -> bytes:
    """The start of an extended WebP file whose canvas is ``width`` x ``height``."""
    body = b"VP8X" + struct.pack("<I", 10) + b"\0\0\0\0"
    body += (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    body += b"\0" * 64
    return b"RIFF" + struct.pack("<I", len(body) + 4) + b"WEBP" + body


def _webp_chunks(data: bytes) -> set[bytes]:
    assert data[:4] == b"RIFF"
    assert data[8:12] == b"WEBP"
    chunks, offset = set(), 12
    while offset + 8 <= len(data):
        (size,) = struct.unpack_from("<I", data, offset + 4)
        chunks.add(data[offset : offset + 4])
        offset += 8 + size + (size & 1)
    return chunks


def _decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == "WEBP"
    image.load()
    return image


def _pixel(image: Image.Image, xy: tuple[int, int]) -> tuple[int, ...]:
    value = image.getpixel(xy)
    assert isinstance(value, tuple)
    return value


def _close(color: tuple[int, ...], expected: tuple[int, ...], tolerance: int = 24) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(color, expected, strict=True))


def _render(data: bytes, widths: tuple[int, ...] = WIDTHS) -> list[ImageVariant]:
    return render_variants(data, widths=widths, max_pixels=MAX_PIXELS)


def _refused(data: bytes, *, max_bytes: int = MAX_BYTES, max_pixels: int = MAX_PIXELS) -> str:
    with pytest.raises(InvalidImage) as caught:
        inspect_image(data, max_bytes=max_bytes, max_pixels=max_pixels)
    assert caught.value.status_code == 422
    return caught.value.detail


@pytest.mark.parametrize(
    ("kind", "content_type"),
    [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp"), ("GIF", "image/gif")],
)
def test_accepted_formats_are_described(kind: str, content_type: str) -> None:
    data = _encode(_noise((120, 80)), kind)
    info = inspect_image(data, max_bytes=MAX_BYTES, max_pixels=MAX_PIXELS)
    assert info == ImageInfo(format=kind, content_type=content_type, width=120, height=80)


def test_avif_is_accepted() -> None:
    # The pinned Pillow wheels are built with AVIF support.
    assert features.check("avif")
    data = _encode(_noise((64, 48)), "AVIF")
    info = inspect_image(data, max_bytes=MAX_BYTES, max_pixels=MAX_PIXELS)
    assert (info.content_type, info.width, info.height) == ("image/avif", 64, 48)
    assert _render(data)[0].width == 64


def test_a_sideways_photo_is_turned_upright_and_loses_its_metadata() -> None:
    source = _camera_jpeg()
    info = inspect_image(source, max_bytes=MAX_BYTES, max_pixels=MAX_PIXELS)
    assert (info.format, info.width, info.height) == ("JPEG", 200, 400)
    with Image.open(io.BytesIO(source)) as original:
        assert original.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        assert original.info["icc_profile"] == b"not-a-real-profile"

    [variant] = _render(source)
    assert (variant.width, variant.height) == (200, 400)
    assert _webp_chunks(variant.data) <= PIXEL_CHUNKS
    assert b"Pocket Camera" not in variant.data
    image = _decoded(variant.data)
    assert image.size == (200, 400)
    assert not image.getexif()
    assert not {"exif", "icc_profile", "xmp"} & image.info.keys()
    # Turned a quarter clockwise: the left (red) half of the stored picture is now on top.
    assert _close(_pixel(image, (100, 50)), RED)
    assert _close(_pixel(image, (100, 350)), BLUE)


def test_png_alpha_is_kept_only_where_it_is_used() -> None:
    image = Image.new("RGBA", (100, 100), (0, 128, 0, 255))
    image.paste((0, 0, 0, 0), (0, 0, 50, 100))
    [variant] = _render(_encode(image, "PNG"))
    decoded = _decoded(variant.data)
    assert decoded.mode == "RGBA"
    assert _pixel(decoded, (10, 50))[3] == 0
    assert _close(_pixel(decoded, (90, 50)), (0, 128, 0, 255))

    [variant] = _render(_encode(Image.new("RGBA", (60, 40), (10, 20, 200, 255)), "PNG"))
    assert _decoded(variant.data).mode == "RGB"
    assert b"ALPH" not in _webp_chunks(variant.data)


def test_gif_transparency_and_first_frame() -> None:
    first = Image.new("P", (50, 50), 1)
    first.putpalette([0, 0, 0, *RED, *BLUE] + [0] * (256 * 3 - 9))
    first.paste(0, (0, 0, 10, 10))
    second = first.copy()
    second.paste(2, (0, 0, 50, 50))
    data = _encode(first, "GIF", save_all=True, append_images=[second], transparency=0)

    [variant] = _render(data)
    decoded = _decoded(variant.data)
    assert _pixel(decoded, (5, 5))[3] == 0
    assert _close(_pixel(decoded, (30, 30)), (*RED, 255))


@pytest.mark.parametrize("mode", ["L", "CMYK", "1", "P"])
def test_other_colour_modes_become_rgb(mode: str) -> None:
    data = _encode(_noise((40, 30)).convert(mode), "JPEG" if mode in {"L", "CMYK"} else "PNG")
    [variant] = _render(data)
    assert _decoded(variant.data).mode == "RGB"


def test_sixteen_bit_grey_is_scaled_not_clipped() -> None:
    data = _encode(Image.new("I;16", (40, 30), 32768), "PNG")
    [variant] = _render(data)
    assert _close(_pixel(_decoded(variant.data), (20, 15)), (128, 128, 128), tolerance=4)


def test_images_are_never_upscaled() -> None:
    data = _encode(_noise((1000, 500)), "JPEG")
    variants = _render(data, widths=(2048, 320, 960, 320))
    assert [(v.width, v.height) for v in variants] == [(320, 160), (960, 480)]
    for variant in variants:
        assert _decoded(variant.data).size == (variant.width, variant.height)

    # Narrower than every width: one rendition at the image's own size.
    [variant] = _render(_encode(_noise((200, 100)), "PNG"))
    assert (variant.width, variant.height) == (200, 100)


def test_a_very_tall_image_fits_within_webp_limits() -> None:
    data = _encode(Image.new("L", (100, 20_000), 200), "PNG")
    [variant] = _render(data)
    assert (variant.width, variant.height) == (82, 16383)


def test_hashes_are_stable_and_follow_content() -> None:
    data = _encode(_noise((400, 300)), "PNG")
    first = _render(data)
    again = _render(data)
    other = _render(_encode(_noise((400, 300), seed=2), "PNG"))
    assert first == again
    assert first[0].content_hash != other[0].content_hash
    assert first[0].content_hash == hashlib.sha256(first[0].data).hexdigest()[:16]
    assert len({v.content_hash for v in [*first, *other]}) == len(first) + len(other)


def test_variant_key() -> None:
    assert variant_key(12, 34, 960, "0123456789abcdef") == (
        "recipes/12/34/960-0123456789abcdef.webp"
    )
    for arguments in [(0, 1, 320, "0123456789abcdef"), (1, 1, 320, "../../etc"), (1, 1, 0, "ab")]:
        with pytest.raises(ValueError, match=r"must be positive|hex digest"):
            variant_key(*arguments)


def test_oversize_files_are_refused_before_decoding() -> None:
    assert _refused(b"\0" * (12 * MB)) == "the image is 12 MB; the limit is 10 MB"
    assert _refused(b"\0" * (10 * MB + 1)) == "the image is 10.1 MB; the limit is 10 MB"
    assert _refused(b"\0" * 3000, max_bytes=2048) == "the image is 3 KB; the limit is 2 KB"


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(_random_bytes(5000, seed=7), id="random bytes"),
        pytest.param(b"Shopping list:\n- flour\n- eggs\n", id="text named .jpg"),
        pytest.param(
            b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
            b"<script>alert(1)</script></svg>",
            id="svg",
        ),
        pytest.param(
            b"GIF89a<!DOCTYPE html><html><script>alert(document.cookie)</script></html>",
            id="gif header html polyglot",
        ),
        pytest.param(b"", id="empty"),
        pytest.param(_encode(_noise((20, 20)), "BMP"), id="bmp"),
        pytest.param(_encode(_noise((20, 20)), "TIFF"), id="tiff"),
    ],
)
def test_files_that_are_not_accepted_images_are_refused(data: bytes) -> None:
    assert _refused(data) == NOT_AN_IMAGE


def test_an_image_with_html_appended_is_rendered_without_it() -> None:
    data = _encode(_noise((50, 50)), "PNG") + b"<html><script>alert(1)</script></html>"
    inspect_image(data, max_bytes=MAX_BYTES, max_pixels=MAX_PIXELS)
    [variant] = _render(data)
    assert b"<script>" not in variant.data


def test_truncated_and_broken_jpegs_are_refused() -> None:
    data = _encode(_noise((300, 300)), "JPEG", quality=95)
    assert _refused(data[: len(data) // 2]) == DAMAGED
    with pytest.raises(InvalidImage):
        _render(data[: len(data) // 2])
    assert _refused(data[:200] + _random_bytes(5000, seed=3)) in {DAMAGED, NOT_AN_IMAGE}
    assert _refused(b"\xff\xd8\xff\xe0" + b"\0" * 100) in {DAMAGED, NOT_AN_IMAGE}


def test_more_pixels_than_allowed_are_refused_before_decoding() -> None:
    data = _encode(_noise((100, 100)), "PNG")
    detail = _refused(data, max_pixels=9_999)
    assert (
        detail == "the image is too large (100\u00d7100 pixels); the limit is 0.009999 megapixels"
    )
    with pytest.raises(InvalidImage, match="too large"):
        render_variants(data, widths=WIDTHS, max_pixels=9_999)
    assert _refused(_png_declaring(8000, 8000)).startswith(f"{TOO_LARGE} (8000\u00d78000 pixels)")


def test_a_webp_canvas_is_checked_before_the_decoder_allocates_it() -> None:
    assert _refused(_webp_declaring(9000, 9000)).startswith(f"{TOO_LARGE} (9000\u00d79000 pixels)")


@pytest.mark.parametrize(
    "size",
    [
        pytest.param((10_000, 10_000), id="over Pillow's warning limit"),
        pytest.param((30_000, 30_000), id="over Pillow's error limit"),
    ],
)
def test_decompression_bombs_are_refused_without_a_warning(size: tuple[int, int]) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # A generous limit of our own, so Pillow's guard is what refuses the file.
        detail = _refused(_png_declaring(*size), max_pixels=2_000_000_000)
    assert detail.startswith(TOO_LARGE)
    assert caught == []


def test_concurrent_checks_leave_the_warning_filters_as_they_were() -> None:
    before = list(warnings.filters)
    bomb, photo = _png_declaring(10_000, 10_000), _encode(_noise((300, 200)), "JPEG")

    def check(data: bytes) -> str:
        try:
            return inspect_image(data, max_bytes=MAX_BYTES, max_pixels=MAX_PIXELS).format
        except InvalidImage as error:
            return error.detail

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(check, [bomb, photo] * 16))
    assert results == [TOO_LARGE, "JPEG"] * 16
    assert warnings.filters == before
