"""Request validation errors in words a person can act on, the same on every door:
``the query parameter 'offset' must be a whole number (got 'abc')`` rather than
``query.offset: Input should be a valid integer, unable to parse string as an integer``.
The raw list still travels in ``details.errors`` for programs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

_PLACES = {"query": "the query parameter", "path": "the path part", "header": "the header",
           "cookie": "the cookie", "body": "the field"}
_PROBLEMS = {
    "missing": "is required",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_parsing": "must be a number",
    "bool_parsing": "must be true or false",
    "string_type": "must be text",
    "int_type": "must be a whole number",
    "float_type": "must be a number",
    "bool_type": "must be true or false",
    "list_type": "must be a list",
    "dict_type": "must be an object",
    "model_attributes_type": "must be an object",
    "json_invalid": "is not valid JSON",
}
MAX_SHOWN = 40  # characters of a bad value quoted back


def where(loc: Sequence[Any]) -> str:
    """``("query", "offset")`` -> ``the query parameter 'offset'``."""
    parts = [str(p) for p in loc]
    if not parts:
        return "the request"
    place, rest = parts[0], parts[1:]
    if place == "body" and not rest:
        return "the request body"
    name = ".".join(rest)
    return f"{_PLACES.get(place, 'the value')} '{name}'" if name else f"the {place}"


def problem(error: dict[str, Any]) -> str:
    kind = str(error.get("type", ""))
    if kind in _PROBLEMS:
        text = _PROBLEMS[kind]
    else:
        msg = str(error.get("msg", "is not valid"))
        text = ("should be " + msg[len("Input should be "):] if msg.startswith("Input should be ")
                else "is not valid: " + msg[:1].lower() + msg[1:])
    shown = error.get("input")
    if kind != "missing" and isinstance(shown, (str, int, float)) and not isinstance(shown, bool):
        value = repr(shown) if len(repr(shown)) <= MAX_SHOWN else repr(shown)[:MAX_SHOWN] + "…"
        text += f" (got {value})"
    return text


def describe(errors: Sequence[dict[str, Any]]) -> str:
    """One sentence for the first problem, and how many more there are."""
    if not errors:
        return "the request is not valid"
    first = errors[0]
    sentence = f"{where(first.get('loc', ()))} {problem(first)}"
    more = len(errors) - 1
    return sentence + (f" (and {more} more problem{'s' if more > 1 else ''})" if more else "")
