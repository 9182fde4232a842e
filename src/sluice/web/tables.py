"""The server's half of the pages' tables (``static/table.js`` is the browser's half).

Why no table library: the tables that matter hold a dataset version, 100,000 rows and far
more, so sorting, filtering and paging must happen on the server (DuckDB over Lance, see
``sluice.core.datasets``), and the pages are server-rendered Jinja. What is left for the
browser (a column picker, pinned key columns, expanding a long cell or a row) is about 300
lines of plain JavaScript with no dependency; a grid library (AG Grid, Tabulator, Grid.js)
would bring its own client-side data model, which 100,000+ rows cannot use, and many times
the code to vendor and audit.

A table's state lives in the URL query, so a link reproduces the view: the server reads
``sort``, ``desc``, ``where`` and ``offset`` (runs: ``order`` and ``filter``); ``cols``
(the columns shown) belongs to the browser. Links the server renders change one part of
the state and keep the rest (:func:`with_query`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request


def with_query(request: Request, **changes: Any) -> str:
    """``?query`` of the current page with ``changes`` applied: a value replaces the
    parameter, None, False or "" drops it, True is written ``1``."""
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in changes]
    for key, value in changes.items():
        if value is None or value is False or value == "":
            continue
        kept.append((key, "1" if value is True else str(value)))
    return "?" + urlencode(kept)


def sort_state(current: str | None, descending: bool, column: str) -> dict[str, Any]:
    """How a header link for ``column`` changes the sort: ascending first, then flipping;
    and its ``aria-sort`` value now."""
    on = current == column
    return {"sort": column, "desc": on and not descending,
            "aria": ("descending" if descending else "ascending") if on else None}
