"""E-mail (.eml): headers as metadata, the plain-text body (or HTML as Markdown),
attachments listed."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from typing import Any

from sluice.core.ingest.encoding import decode_text
from sluice.core.ingest.parsers.base import Limits, ParsedDoc, ParseFailure
from sluice.core.ingest.parsers.registry import register

HEADERS = ("from", "to", "cc", "subject", "date", "message-id")


@register("email", [".eml"])
def parse_eml(path: str, extension: str, limits: Limits) -> ParsedDoc:
    with open(path, "rb") as fh:
        raw = fh.read()
    if b"\x00" in raw[:400]:  # UTF-16/32 mail: the email package reads bytes as ASCII
        raw = decode_text(raw)[0].encode("utf-8")
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
    except Exception as exc:  # the email package raises many kinds
        raise ParseFailure("corrupt_file", f"not a readable e-mail: {exc}") from exc
    assert isinstance(msg, EmailMessage)
    meta = _headers(msg)
    if not meta:
        raise ParseFailure("corrupt_file", "no e-mail headers found")
    meta["attachments"] = _attachments(msg)
    body = _body(msg)
    text = _header_block(meta) + "\n\n" + body
    return ParsedDoc(text=text.strip(), parser="email", title=meta.get("subject"), metadata=meta)


def _headers(msg: EmailMessage) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in HEADERS:
        try:
            value = msg.get(name)
        except Exception:  # malformed header values
            value = msg.get_all(name, [None])[0]
        if value is not None:
            out[name] = str(value)
    return out


def _attachments(msg: EmailMessage) -> list[dict[str, Any]]:
    found = []
    for part in msg.iter_attachments():
        payload = part.get_payload(decode=True) or b""
        found.append({"filename": part.get_filename(), "type": part.get_content_type(),
                      "size": len(payload) if isinstance(payload, bytes) else None})
    return found


def _body(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, UnicodeError):
        payload = part.get_payload(decode=True)
        content = decode_text(payload if isinstance(payload, bytes) else b"")[0]
    if part.get_content_type() == "text/html":
        return html_to_markdown(str(content))
    return str(content)


def html_to_markdown(html: str) -> str:
    from sluice.core.ingest.parsers.office import convert_html

    return convert_html(html)


def _header_block(meta: dict[str, Any]) -> str:
    return "\n".join(f"**{k.title()}:** {meta[k]}" for k in HEADERS if k in meta)
