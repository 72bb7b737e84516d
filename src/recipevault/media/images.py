"""Checking uploaded images and turning them into WebP renditions.

Both entry points are synchronous and CPU-heavy: callers run them in a worker thread or a
background job, never on the event loop.

An upload is identified by its bytes, never by its name or declared type, and decoded in full;
only JPEG, PNG, WebP, GIF (first frame) and AVIF (when this Pillow reads it) are accepted. The
pixel count is checked against the limit before any pixel is decoded. Renditions are encoded
from the pixels alone, so no EXIF (camera, GPS), XMP or ICC data reaches them.
"""

from __future__ import annotations

import hashlib
import io
import re
import threading
import warnings
from dataclasses import dataclass, field

from PIL import ExifTags, Image, ImageOps, features

from recipevault.errors import ValidationFailed
from recipevault.http.uploads import describe_size

VARIANT_CONTENT_TYPE = "image/webp"
WEBP_QUALITY = 80
WEBP_METHOD = 4
WEBP_MAX_SIDE = 16383  # the largest width or height a WebP file can hold
CONTENT_HASH_LENGTH = 16

ACCEPTED_FORMATS: tuple[str, ...] = ("JPEG", "PNG", "WEBP", "GIF") + (
    ("AVIF",) if features.check("avif") else ()
)
_CONTENT_TYPES = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "GIF": "image/gif",
    "AVIF": "image/avif",
}
# Orientations whose display swaps width and height.
_SIDEWAYS = frozenset({5, 6, 7, 8})
_ALPHA_MODES = frozenset({"RGBA", "RGBa", "LA", "La", "PA"})
_HEX = re.compile(r"[0-9a-f]{8,64}")

NOT_AN_IMAGE = "this file is not an image we can read"
DAMAGED = "the image is damaged or incomplete"
TOO_LARGE = "the image is too large"

# Pillow reports a likely decompression bomb with a warning. The filter that makes it an error
# is process-wide, so calls take turns setting it rather than restore each other's filters.
_WARNINGS_LOCK = threading.Lock()


class InvalidImage(ValidationFailed):
    """An upload that is not an image we accept; the message says why in plain words."""

    code = "invalid-image"
    title = "Image refused"


@dataclass(frozen=True, slots=True)
class ImageInfo:
    """An accepted upload. Width and height are as displayed, after the EXIF orientation."""

    format: str
    content_type: str
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class ImageVariant:
    """One WebP rendition; ``content_hash`` names its file in storage (never its address:
    an address made of the content would tell anyone holding the picture where it is)."""

    width: int
    height: int
    data: bytes = field(repr=False)
    content_hash: str


def inspect_image(data: bytes, *, max_bytes: int, max_pixels: int) -> ImageInfo:
    """Decode ``data`` in full and describe it, or raise ``InvalidImage``."""
    if len(data) > max_bytes:
        raise InvalidImage(
            f"the image is {describe_size(len(data), round_up=True)}; "
            f"the limit is {describe_size(max_bytes)}"
        )
    with _decode(data, max_pixels=max_pixels) as image:
        width, height = image.size
        if _orientation(image) in _SIDEWAYS:
            width, height = height, width
        # A camera's multi-picture file (MPO) is a JPEG whose first picture is the photo.
        kind = "JPEG" if image.format == "MPO" else (image.format or "")
        return ImageInfo(format=kind, content_type=_CONTENT_TYPES[kind], width=width, height=height)


def render_variants(data: bytes, *, widths: tuple[int, ...], max_pixels: int) -> list[ImageVariant]:
    """Upright, metadata-free WebP renditions at each of ``widths`` not wider than the image,
    narrowest first; an image narrower than every width gets one rendition at its own size."""
    with _decode(data, max_pixels=max_pixels) as image:
        _make_upright(image)
        pixels = _pixels_only(image)
    variants = []
    for size in _target_sizes(pixels.size, widths):
        resized = (
            pixels
            if size == pixels.size
            else pixels.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
        )
        encoded = _encode_webp(resized)
        variants.append(
            ImageVariant(
                width=size[0], height=size[1], data=encoded, content_hash=content_hash(encoded)
            )
        )
    return variants


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:CONTENT_HASH_LENGTH]


def variant_key(recipe_id: int, image_id: int, width: int, content_hash: str) -> str:
    """The storage key of a rendition, e.g. ``recipes/12/34/960-0123456789abcdef.webp``."""
    if min(recipe_id, image_id, width) < 1:
        raise ValueError("recipe id, image id and width must be positive")
    if not _HEX.fullmatch(content_hash):
        raise ValueError(f"{content_hash!r} is not a lowercase hex digest")
    return f"recipes/{recipe_id}/{image_id}/{width}-{content_hash}.webp"


def _decode(data: bytes, *, max_pixels: int) -> Image.Image:
    declared = _declared_webp_size(data)
    if declared is not None:
        # The WebP decoder allocates its whole canvas while opening the file.
        _check_pixels(declared, max_pixels)
    try:
        with _WARNINGS_LOCK, warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidImage(TOO_LARGE) from None
    except Exception:  # hostile input makes decoders raise nearly anything
        raise InvalidImage(NOT_AN_IMAGE) from None
    try:
        _check_pixels(image.size, max_pixels)
        image.load()
    except InvalidImage:
        image.close()
        raise
    except Exception:
        image.close()
        raise InvalidImage(DAMAGED) from None
    return image


def _check_pixels(size: tuple[int, int], max_pixels: int) -> None:
    width, height = size
    if width * height > max_pixels:
        raise InvalidImage(
            f"{TOO_LARGE} ({width}\u00d7{height} pixels); "
            f"the limit is {max_pixels / 1_000_000:g} megapixels"
        )


def _declared_webp_size(data: bytes) -> tuple[int, int] | None:
    """The canvas size a WebP file declares in its first chunk, read without decoding."""
    if len(data) < 30 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        return None
    chunk = data[12:16]
    if chunk == b"VP8X":
        return _le(data[24:27]) + 1, _le(data[27:30]) + 1
    if chunk == b"VP8L" and data[20] == 0x2F:
        bits = _le(data[21:25])
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 " and data[23:26] == b"\x9d\x01\x2a":
        return _le(data[26:28]) & 0x3FFF, _le(data[28:30]) & 0x3FFF
    return None


def _le(data: bytes) -> int:
    return int.from_bytes(data, "little")


def _orientation(image: Image.Image) -> int:
    try:
        value = image.getexif().get(ExifTags.Base.Orientation, 1)
    except Exception:  # unreadable EXIF says nothing about orientation
        return 1
    return value if isinstance(value, int) else 1


def _make_upright(image: Image.Image) -> None:
    try:
        ImageOps.exif_transpose(image, in_place=True)
    except Exception:  # unreadable EXIF: keep the pixels as stored
        return


def _pixels_only(image: Image.Image) -> Image.Image:
    """A new RGB or RGBA image holding only ``image``'s pixels, without any metadata."""
    if image.mode in {"I", "F"} or image.mode.startswith("I;"):
        # 16-bit greyscale: scale to 8 bits rather than clip everything above 255 to white.
        image = image.convert("I").point(lambda value: value / 256).convert("L")
    has_alpha = image.mode in _ALPHA_MODES or "transparency" in image.info
    pixels = image.convert("RGBA" if has_alpha else "RGB")
    if has_alpha and pixels.getchannel("A").getextrema() == (255, 255):
        pixels = pixels.convert("RGB")
    pixels.info.clear()
    return pixels


def _target_sizes(size: tuple[int, int], widths: tuple[int, ...]) -> list[tuple[int, int]]:
    width, height = size
    wanted = sorted({target for target in widths if 0 < target <= width}) or [width]
    sizes: list[tuple[int, int]] = []
    for target in wanted:
        scale = min(target / width, WEBP_MAX_SIDE / height, WEBP_MAX_SIDE / width)
        fitted = (max(1, round(width * scale)), max(1, round(height * scale)))
        if fitted not in sizes:
            sizes.append(fitted)
    return sizes


def _encode_webp(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="WEBP", quality=WEBP_QUALITY, method=WEBP_METHOD)
    return buffer.getvalue()
