"""What changed inside a value, for the diff page: the text split into kept, removed and
added runs, long kept runs shortened to their ends so the change is always in view."""

from __future__ import annotations

import difflib
import json
from typing import Any

MAX_CHARS = 4000  # longer values are compared on their first MAX_CHARS characters
CONTEXT = 40  # characters kept on each side of a change


def as_text(value: Any) -> str:
    if value is None:
        return "∅"
    return value if isinstance(value, str) else json.dumps(value, default=str)


def inline_diff(before: Any, after: Any) -> list[dict[str, str]]:
    """Runs of ``{"op": "keep" | "del" | "ins", "text": ...}`` that turn ``before`` into
    ``after``; a kept run longer than twice ``CONTEXT`` keeps only its ends."""
    old, new = as_text(before)[:MAX_CHARS], as_text(after)[:MAX_CHARS]
    runs: list[dict[str, str]] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            runs.append({"op": "keep", "text": _shorten(old[i1:i2])})
            continue
        if i2 > i1:
            runs.append({"op": "del", "text": old[i1:i2]})
        if j2 > j1:
            runs.append({"op": "ins", "text": new[j1:j2]})
    return runs


def _shorten(text: str) -> str:
    if len(text) <= 2 * CONTEXT + 1:
        return text
    return f"{text[:CONTEXT]} … {text[-CONTEXT:]}"


def row_changes(before: dict[str, Any] | None, after: dict[str, Any] | None,
                columns: list[str]) -> list[dict[str, Any]]:
    """Per changed column of a row, its inline diff."""
    return [{"column": c, "runs": inline_diff((before or {}).get(c), (after or {}).get(c))}
            for c in columns]
