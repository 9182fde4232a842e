"""Plain text, Markdown, reStructuredText, Org, code and data files, any encoding."""

from __future__ import annotations

import re
from typing import Any

from sluice.core.ingest.encoding import decode_text
from sluice.core.ingest.parsers.base import Limits, ParsedDoc
from sluice.core.ingest.parsers.registry import register

TEXT_EXTENSIONS = [".txt", ".text", ".log", ".md", ".markdown", ".rst", ".org", ".json",
                   ".jsonl", ".ndjson", ".xml", ".yaml", ".yml", ".toml", ".ini", ".cfg",
                   ".csv", ".tsv", ".py", ".go", ".rs", ".js", ".ts", ".java", ".c", ".h",
                   ".cpp", ".sh", ".sql", ".tex"]
_MD_TITLE = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.MULTILINE)
_RST_TITLE = re.compile(r"^(?P<t>[^\n]+)\n(?P<u>[=\-~^#*]{3,})\s*$", re.MULTILINE)
_ORG_TITLE = re.compile(r"^#\+TITLE:\s*(.+)$", re.MULTILINE | re.IGNORECASE)
READ_CHUNK = 64 * 1024 * 1024


@register("text", TEXT_EXTENSIONS)
def parse_text(path: str, extension: str, limits: Limits) -> ParsedDoc:
    with open(path, "rb") as fh:
        data = fh.read(min(READ_CHUNK, limits.max_text_chars * 4))
    text, encoding = decode_text(data)
    text = text.replace("\r\n", "\n").replace("\x00", "")
    meta: dict[str, object] = {"encoding": encoding, "lines": text.count("\n") + 1}
    return ParsedDoc(text=text, parser="text", title=_title(extension, text), metadata=meta)


def _title(ext: str, text: str) -> str | None:
    head = text[:20000]
    if ext in (".md", ".markdown"):
        m = _MD_TITLE.search(head)
        return m.group(1).strip() if m else None
    if ext == ".rst":
        m = _RST_TITLE.search(head)
        if m and len(m.group("u")) >= len(m.group("t").strip()):
            return m.group("t").strip()
        return None
    if ext == ".org":
        m = _ORG_TITLE.search(head)
        return m.group(1).strip() if m else None
    return None


@register("svg", [".svg"])
def parse_svg(path: str, extension: str, limits: Limits) -> ParsedDoc:
    """SVG drawings: the text they show, their title and size (no rasterising)."""
    from xml.etree import ElementTree

    from sluice.core.ingest.parsers.base import ParseFailure

    try:
        root = ElementTree.parse(path).getroot()  # expat refuses entity-expansion bombs
    except ElementTree.ParseError as exc:
        raise ParseFailure("corrupt_file", f"not a readable SVG: {exc}") from exc
    texts = [t.strip() for el in root.iter() if _local_name(el.tag) in ("text", "tspan", "desc")
             for t in [el.text or ""] if t.strip()]
    title = next((el.text.strip() for el in root.iter()
                  if _local_name(el.tag) == "title" and el.text and el.text.strip()), None)
    meta: dict[str, Any] = {k: root.attrib[k] for k in ("width", "height", "viewBox")
                            if k in root.attrib}
    return ParsedDoc(text="\n".join(texts), parser="svg", title=title, metadata=meta)


def _local_name(tag: str) -> str:
    """``{namespace}text`` -> ``text``."""
    return tag.rsplit("}", 1)[-1]
