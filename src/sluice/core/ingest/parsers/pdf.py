"""PDF with PDFium (pypdfium2): text page by page, document info, clear errors for
password-protected and broken files. PDFium reads a 619-page PDF in ~3 s, where
pdfminer-based converters took minutes."""

from __future__ import annotations

from typing import Any

from sluice.core.ingest.parsers.base import Limits, ParsedDoc, ParseFailure
from sluice.core.ingest.parsers.registry import register

_INFO = {"Title": "title", "Author": "author", "Subject": "subject", "Creator": "creator",
         "Producer": "producer", "CreationDate": "created", "ModDate": "modified"}


@register("pdf", [".pdf"])
def parse_pdf(path: str, extension: str, limits: Limits) -> ParsedDoc:
    import pypdfium2 as pdfium

    try:
        doc = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise ParseFailure("encrypted", "the PDF is password-protected; remove the "
                                            "password and ingest it again") from exc
        raise ParseFailure("corrupt_file", f"the PDF could not be opened: {exc}") from exc
    try:
        pages = _pages(doc, limits.max_text_chars)
        meta = _metadata(doc)
    finally:
        doc.close()
    text = "\n\n".join(pages).strip()
    if not text:
        meta["note"] = "no text layer (a scanned PDF needs OCR, which Sluice does not run)"
    return ParsedDoc(text=text, parser="pdfium", title=meta.get("title"), metadata=meta)


def _pages(doc: Any, max_chars: int) -> list[str]:
    pages, total = [], 0
    for index in range(len(doc)):
        page = doc[index]
        try:
            textpage = page.get_textpage()
            text = textpage.get_text_range().replace("\r\n", "\n").strip()
            textpage.close()
        finally:
            page.close()
        pages.append(text)
        total += len(text)
        if total > max_chars:
            break
    return pages


def _metadata(doc: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"pages": len(doc)}
    try:
        info = doc.get_metadata_dict(skip_empty=True)
    except Exception:  # a broken info dictionary must not lose the text
        info = {}
    for key, name in _INFO.items():
        if info.get(key):
            meta[name] = str(info[key])[:500]
    return meta
