"""Office and web documents through markitdown (Markdown out): Word, PowerPoint, Excel,
HTML, EPUB and Outlook messages, plus core properties for Word and PowerPoint."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from sluice.core.ingest.parsers.base import Limits, ParsedDoc, ParseFailure
from sluice.core.ingest.parsers.registry import register

OFFICE_EXTENSIONS = [".docx", ".pptx", ".xlsx", ".xls", ".html", ".htm", ".epub", ".msg"]
_converter: Any = None


def _markitdown() -> Any:
    global _converter
    if _converter is None:
        from markitdown import MarkItDown

        _converter = MarkItDown(enable_plugins=False)
    return _converter


@register("markitdown", OFFICE_EXTENSIONS)
def parse_office(path: str, extension: str, limits: Limits) -> ParsedDoc:
    from markitdown import FileConversionException, StreamInfo, UnsupportedFormatException

    _check_container(path, extension)
    try:
        result = _markitdown().convert_local(path, stream_info=StreamInfo(extension=extension))
    except UnsupportedFormatException as exc:
        raise ParseFailure("unsupported_format",
                           f"markitdown cannot read it: {_short(exc)}") from exc
    except FileConversionException as exc:
        raise ParseFailure(_code(exc), f"conversion failed: {_short(exc)}") from exc
    meta = _properties(path, extension)
    title = getattr(result, "title", None) or meta.get("title")
    return ParsedDoc(text=str(result.markdown or "").strip(), parser="markitdown",
                     title=str(title).strip() if title else None, metadata=meta)


def convert_html(html: str) -> str:
    """HTML to Markdown (used for HTML e-mail bodies)."""
    from markitdown import StreamInfo

    stream = io.BytesIO(html.encode("utf-8"))
    info = StreamInfo(extension=".html", mimetype="text/html", charset="utf-8")
    return str(_markitdown().convert_stream(stream, stream_info=info).markdown or "")


def _check_container(path: str, extension: str) -> None:
    """Modern Office files are zips; an OLE file in their place is usually encrypted."""
    if extension not in (".docx", ".pptx", ".xlsx"):
        return
    if zipfile.is_zipfile(path):
        return
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ParseFailure("encrypted", "the document is password-protected (an encrypted "
                                        "Office file); save it without a password")
    raise ParseFailure("corrupt_file", "not a valid Office file (it is not a zip archive)")


def _properties(path: str, extension: str) -> dict[str, Any]:
    try:
        if extension == ".docx":
            import docx

            return _core(docx.Document(path).core_properties)
        if extension == ".pptx":
            import pptx

            prs = pptx.Presentation(path)
            return {**_core(prs.core_properties), "slides": len(prs.slides)}
    except Exception:  # properties are a bonus; the text was already extracted
        return {}
    return {}


def _core(props: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in ("title", "author", "subject", "created", "modified", "last_modified_by"):
        value = getattr(props, name, None)
        if value:
            out[name] = value.isoformat() if hasattr(value, "isoformat") else str(value)[:500]
    return out


def _code(exc: Exception) -> str:
    text = str(exc).lower()
    if "password" in text or "encrypt" in text:
        return "encrypted"
    return "corrupt_file"


def _short(exc: Exception) -> str:
    lines = [ln.strip(" -") for ln in str(exc).splitlines() if ln.strip()]
    return " ".join(lines)[:500] or type(exc).__name__
