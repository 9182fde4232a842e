"""Links in pages go only to this server's own routes; anything else is shown as text.

Stored values (a run input's ``source``, a ``back`` or ``next`` parameter) can hold
``javascript:`` URLs, other sites, or ``/\\evil.example`` (which browsers read as
``//evil.example``). :func:`internal_path` lets through only plain local paths.
"""

from __future__ import annotations

import re
from typing import Any

from markupsafe import Markup, escape

MAX_PATH = 2048
_UNSAFE = re.compile(r"[\x00-\x20\x7f\\]")


def internal_path(url: Any) -> str | None:
    """``url`` when it is a path on this server (``/datasets/x?version=2``), else None."""
    if not isinstance(url, str) or not url.startswith("/") or len(url) > MAX_PATH:
        return None
    if url.startswith("//") or _UNSAFE.search(url):
        return None
    return url


def safe_redirect(url: Any, default: str = "/datasets") -> str:
    """Where to send someone after a form: ``url`` if it is internal, else ``default``."""
    return internal_path(url) or default


def link(url: Any, text: Any) -> Markup:
    """``<a href=url>text</a>`` for an internal ``url``; just the text otherwise."""
    label = escape("" if text is None else str(text))
    target = internal_path(url)
    if target is None:
        return Markup(label)
    return Markup(f'<a href="{escape(target)}">{label}</a>')
