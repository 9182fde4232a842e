"""OpenDocument text (.odt) and Rich Text (.rtf)."""

from __future__ import annotations

import zipfile
from xml.etree import ElementTree

from sluice.core.ingest.encoding import decode_text
from sluice.core.ingest.parsers.base import Limits, ParsedDoc, ParseFailure
from sluice.core.ingest.parsers.registry import register

_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_BLOCKS = {_TEXT + "p", _TEXT + "h"}


@register("odt", [".odt"])
def parse_odt(path: str, extension: str, limits: Limits) -> ParsedDoc:
    try:
        with zipfile.ZipFile(path) as archive:
            root = ElementTree.fromstring(archive.read("content.xml"))
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError) as exc:
        raise ParseFailure("corrupt_file", f"not a readable OpenDocument file: {exc}") from exc
    lines = []
    for element in root.iter():
        if element.tag in _BLOCKS:
            text = "".join(element.itertext()).strip()
            if text:
                lines.append(("# " if element.tag == _TEXT + "h" else "") + text)
    return ParsedDoc(text="\n\n".join(lines), parser="odt")


@register("rtf", [".rtf"])
def parse_rtf(path: str, extension: str, limits: Limits) -> ParsedDoc:
    from striprtf.striprtf import rtf_to_text

    with open(path, "rb") as fh:
        raw, encoding = decode_text(fh.read())
    if not raw.lstrip().startswith("{\\rtf"):
        raise ParseFailure("corrupt_file", "not an RTF document (no {\\rtf header)")
    text = str(rtf_to_text(raw, errors="ignore"))  # type: ignore[no-untyped-call]
    return ParsedDoc(text=text.strip(), parser="rtf",
                     metadata={"encoding": encoding})
