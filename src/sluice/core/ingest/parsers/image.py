"""Images: size, format, EXIF facts and a small JPEG thumbnail (no OCR)."""

from __future__ import annotations

import io
from typing import Any

from PIL import ExifTags, Image, UnidentifiedImageError

from sluice.core.ingest.parsers.base import Limits, ParsedDoc, ParseFailure
from sluice.core.ingest.parsers.registry import register

IMAGE_EXTENSIONS = [".jpg", ".jpeg", ".png", ".gif", ".bmp", ".tif", ".tiff", ".webp", ".heic",
                    ".ico"]
_EXIF_KEEP = {"Make", "Model", "DateTime", "DateTimeOriginal", "Software", "Orientation",
              "Artist", "ImageDescription"}
Image.MAX_IMAGE_PIXELS = 200_000_000


@register("image", IMAGE_EXTENSIONS)
def parse_image(path: str, extension: str, limits: Limits) -> ParsedDoc:
    try:
        with Image.open(path) as img:
            meta = _facts(img)
            thumb = _thumbnail(img, limits.thumbnail_px)
    except UnidentifiedImageError as exc:
        if extension == ".heic":
            raise ParseFailure("unsupported_format", "HEIC images need a codec Sluice does "
                                                     "not ship; convert to JPEG or PNG") from exc
        raise ParseFailure("corrupt_file", f"not a readable image: {exc}") from exc
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ParseFailure("corrupt_file", f"the image could not be decoded: {exc}") from exc
    return ParsedDoc(text="", parser="image", metadata=meta, thumbnail=thumb)


def _facts(img: Image.Image) -> dict[str, Any]:
    meta: dict[str, Any] = {"width": img.width, "height": img.height, "format": img.format,
                            "mode": img.mode, "frames": getattr(img, "n_frames", 1)}
    exif = {ExifTags.TAGS.get(k, str(k)): v for k, v in img.getexif().items()}
    kept = {k: str(v)[:200] for k, v in exif.items() if k in _EXIF_KEEP}
    if kept:
        meta["exif"] = kept
    return meta


def _thumbnail(img: Image.Image, px: int) -> bytes:
    img.seek(0)
    thumb = img.convert("RGB") if img.mode not in ("RGB", "L") else img.copy()
    thumb.thumbnail((px, px))
    out = io.BytesIO()
    thumb.save(out, format="JPEG", quality=80)
    return out.getvalue()
