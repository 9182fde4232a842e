"""Bytes to text when nobody said which encoding: BOMs, strict UTF-8, then detection."""

from __future__ import annotations

import codecs

_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]
_SNIFF_BYTES = 1024 * 1024
_WESTERN_LOOKALIKES = {"cp1250", "iso8859_2", "latin_1", "iso8859_1", "iso8859_15"}


def detect_encoding(data: bytes) -> str:
    """The most likely encoding of ``data`` (a Python codec name)."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    if _looks_utf16(data):
        return "utf-16-le" if data[1:200:2].count(0) > data[0:200:2].count(0) else "utf-16-be"
    try:
        data.decode("utf-8")  # the whole buffer: a late non-ASCII byte must count
        return "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[:_SNIFF_BYTES]).best()
    guess = best.encoding if best is not None else "cp1252"
    # Single-byte Western text is often mistaken for Central European code pages.
    return "cp1252" if guess in _WESTERN_LOOKALIKES else guess


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode ``data``; returns the text and the encoding used (never raises)."""
    encoding = detect_encoding(data)
    try:
        return data.decode(encoding), encoding
    except (UnicodeDecodeError, LookupError):
        return data.decode("utf-8", errors="replace"), "utf-8 (with replacements)"


def _looks_utf16(data: bytes) -> bool:
    head = data[:400]
    return len(head) >= 4 and head.count(0) >= len(head) // 4
