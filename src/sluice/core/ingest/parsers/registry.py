"""Parsers register by file extension; ``parse_file`` picks one (built-ins use the same)."""

from __future__ import annotations

import json
import mimetypes
import os
from collections.abc import Callable

from sluice.core.ingest.archives import ZIP_EXTENSIONS, ArchiveTooLarge, check_archive
from sluice.core.ingest.parsers.base import Limits, ParsedDoc, ParseFailure

ParserFn = Callable[[str, str, Limits], ParsedDoc]
_PARSERS: dict[str, tuple[str, ParserFn]] = {}
_EXTRA_TYPES = {".md": "text/markdown", ".rst": "text/x-rst", ".org": "text/x-org",
                ".jsonl": "application/x-ndjson", ".ndjson": "application/x-ndjson",
                ".eml": "message/rfc822", ".msg": "application/vnd.ms-outlook",
                ".heic": "image/heic", ".yaml": "application/yaml", ".epub": "application/epub+zip"}


def register(name: str, extensions: list[str]) -> Callable[[ParserFn], ParserFn]:
    """Register ``fn`` as the parser for files with these extensions."""

    def add(fn: ParserFn) -> ParserFn:
        for ext in extensions:
            _PARSERS[ext.lower()] = (name, fn)
        return fn

    return add


def supported_extensions() -> list[str]:
    load_builtins()
    return sorted(_PARSERS)


def mime_type(name: str) -> str:
    ext = os.path.splitext(name)[1].lower()
    return _EXTRA_TYPES.get(ext) or mimetypes.guess_type(name)[0] or "application/octet-stream"


def parse_file(path: str, extension: str, limits: Limits) -> ParsedDoc:
    """Parse one file; raises :class:`ParseFailure` with a stable code when it cannot."""
    load_builtins()
    if os.path.getsize(path) == 0:
        raise ParseFailure("empty_file", "the file is empty (0 bytes)")
    entry = _PARSERS.get(extension.lower())
    if entry is None:
        raise ParseFailure("unsupported_format",
                           f"no parser for {extension or 'files without an extension'}; "
                           f"supported: {', '.join(supported_extensions())}")
    if extension.lower() in ZIP_EXTENSIONS:
        try:
            check_archive(path, limits.max_inflated_bytes)
        except ArchiveTooLarge as exc:
            raise ParseFailure("archive_too_large", exc.message) from exc
    doc = entry[1](path, extension.lower(), limits)
    doc.text = str(doc.text)
    doc.title = str(doc.title) if doc.title else None
    doc.metadata = json.loads(json.dumps(doc.metadata, default=str))  # plain, picklable
    if len(doc.text) > limits.max_text_chars:
        doc.metadata["truncated_from_chars"] = len(doc.text)
        doc.text = doc.text[:limits.max_text_chars]
    return doc


def load_builtins() -> None:
    """Import the built-in parsers (they register themselves); a parse worker does this
    before it takes work."""
    from sluice.core.ingest.parsers import (  # noqa: F401
        email_parser,
        image,
        office,
        opendoc,
        pdf,
        text,
    )
