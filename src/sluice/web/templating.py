"""Jinja2 templates and their filters."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader
from markupsafe import Markup, escape

from sluice.web.links import internal_path, link
from sluice.web.tables import sort_state, with_query

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.loader = ChoiceLoader([FileSystemLoader(str(HERE / "templates"))])


def add_template_package(package: str) -> None:
    """Let pages find the templates in ``package``'s ``templates/`` folder (an area's own);
    Sluice's templates win on a name clash."""
    loader = templates.env.loader
    assert isinstance(loader, ChoiceLoader)
    if not any(getattr(known, "package_name", None) == package for known in loader.loaders):
        loader.loaders = [*loader.loaders, PackageLoader(package, "templates")]


def human_bytes(n: Any) -> str:
    if n is None:
        return ""
    size = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size < 1024 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return str(n)


def when(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, str) and "T" in value:
        return value.replace("T", " ")[:19]
    return "" if value is None else str(value)


def cell(value: Any, width: int = 120) -> str:
    """A table cell's text: long values shortened, structures as JSON."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= width else text[: width - 1] + "…"


def percent(value: Any) -> str:
    return "" if value is None else f"{float(value) * 100:.1f}%"


def done_percent(job: Any) -> float | None:
    """How far a job is, 0-100: 100 once it succeeded (whatever its counters said last),
    else what its counters say; None when it counts nothing."""
    if str(job.state) == "succeeded":
        return 100.0
    if job.progress_total:
        return round(100.0 * float(job.progress_done) / float(job.progress_total), 1)
    return None


def highlight(text: Any, spans: Any) -> Markup:
    """``text`` escaped, with each (start, end) span wrapped in <mark>."""
    text = "" if text is None else str(text)
    parts: list[str] = []
    cursor = 0
    for start, end in sorted((int(s), int(e)) for s, e in spans or []):
        if start < cursor or end > len(text):
            continue
        parts += [str(escape(text[cursor:start])), "<mark>", str(escape(text[start:end])),
                  "</mark>"]
        cursor = end
    parts.append(str(escape(text[cursor:])))
    return Markup("".join(parts))


def markdown(text: Any) -> Markup:
    """Markdown as HTML, with raw HTML in the source escaped (never passed through) and
    links or images only to this server's own paths (others stay as text)."""
    from markdown_it import MarkdownIt

    renderer = MarkdownIt("commonmark", {"html": False}).enable("table")
    renderer.validateLink = lambda url: internal_path(url) is not None  # type: ignore[method-assign]
    return Markup(renderer.render("" if text is None else str(text)))


def millis(value: Any) -> str:
    """Epoch milliseconds as a UTC date and time."""
    if not value:
        return ""
    from datetime import UTC

    return datetime.fromtimestamp(int(value) / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")


def number(value: Any) -> str:
    return "" if value is None else f"{float(value):.6g}"


templates.env.filters.update(bytes=human_bytes, when=when, cell=cell, percent=percent,
                             highlight=highlight, markdown=markdown, millis=millis,
                             number=number, safe_path=internal_path,
                             done_percent=done_percent)
templates.env.globals.update(link=link, with_query=with_query, sort_state=sort_state)
