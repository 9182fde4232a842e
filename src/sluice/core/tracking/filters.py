"""MLflow's run filter language, parsed into a small tree that the store turns into SQL.

Grammar (case-insensitive keywords)::

    filter     := comparison ("AND" comparison)*
    comparison := entity OP value | entity IS [NOT] NULL | entity [NOT] IN "(" values ")"
    entity     := ("metrics" | "params" | "tags" | "attributes") "." key
    key        := word | `quoted` | "quoted"
    OP         := = | != | < | <= | > | >= | LIKE | ILIKE

``metric.``, ``param.``, ``tag.``, ``attribute.``, ``attr.`` and ``run.`` are accepted
spellings; a bare attribute name (``status``) means ``attributes.status``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from sluice.errors import InvalidInput

Kind = Literal["metric", "param", "tag", "attribute"]
_KINDS: dict[str, Kind] = {
    "metrics": "metric", "metric": "metric", "params": "param", "param": "param",
    "tags": "tag", "tag": "tag", "attributes": "attribute", "attribute": "attribute",
    "attr": "attribute", "run": "attribute",
}
ATTRIBUTES = {
    "status": "status", "run_name": "name", "run_id": "id", "user_id": "user",
    "start_time": "start_ms", "end_time": "end_ms", "created": "start_ms",
    "lifecycle_stage": "lifecycle_stage",
}
NUMERIC_ATTRIBUTES = {"start_ms", "end_ms"}
COMPARATORS = {"=", "!=", "<", "<=", ">", ">=", "LIKE", "ILIKE", "IN", "NOT IN",
               "IS NULL", "IS NOT NULL"}

_TOKEN = re.compile(r"""
    \s*(?:
      (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
    | (?P<bq>`[^`]*`)
    | (?P<num>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?![\w.]))
    | (?P<op><=|>=|!=|<>|=|<|>)
    | (?P<punct>[(),.])
    | (?P<word>[\w\-:/]+)
    )""", re.VERBOSE)


@dataclass(frozen=True)
class Condition:
    kind: Kind
    key: str
    op: str
    value: str | float | tuple[str, ...] | None


def parse_filter(text: str | None) -> list[Condition]:
    """The conditions of ``text`` (all must hold); empty for no filter.

    Raises:
        InvalidInput: the text is not a valid filter; the message says where.
    """
    if not text or not text.strip():
        return []
    tokens = _tokenize(text)
    parser = _Parser(tokens, text)
    conditions = [parser.comparison()]
    while parser.peek_word("AND"):
        parser.take()
        conditions.append(parser.comparison())
    if parser.pos < len(tokens):
        raise _error(text, f"unexpected {tokens[parser.pos][1]!r}")
    return conditions


def parse_order_by(clauses: list[str] | None) -> list[tuple[Kind, str, bool]]:
    """``["metrics.acc DESC", "start_time"]`` as (kind, key, ascending) triples."""
    out: list[tuple[Kind, str, bool]] = []
    for clause in clauses or []:
        tokens = _tokenize(clause)
        parser = _Parser(tokens, clause)
        kind, key = parser.entity()
        ascending = True
        if parser.pos < len(tokens):
            word = parser.take()[1].upper()
            if word not in ("ASC", "DESC") or parser.pos < len(tokens):
                raise _error(clause, "order by takes an entity and ASC or DESC")
            ascending = word == "ASC"
        out.append((kind, key, ascending))
    return out


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise _error(text, f"cannot read {text[pos:pos + 20].strip()!r}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], text: str) -> None:
        self.tokens = tokens
        self.text = text
        self.pos = 0

    def take(self) -> tuple[str, str]:
        if self.pos >= len(self.tokens):
            raise _error(self.text, "the filter ends too early")
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def peek_word(self, word: str) -> bool:
        return (self.pos < len(self.tokens) and self.tokens[self.pos][0] == "word"
                and self.tokens[self.pos][1].upper() == word)

    def _at(self, text: str) -> bool:
        return self.pos < len(self.tokens) and self.tokens[self.pos][1] == text

    def _next_is_word(self) -> bool:
        return self.pos + 1 < len(self.tokens) and self.tokens[self.pos + 1][0] in ("word",
                                                                                   "num")

    def entity(self) -> tuple[Kind, str]:
        kind_tok, first = self.take()
        if kind_tok != "word":
            raise _error(self.text, f"expected metrics., params., tags. or attributes., "
                                    f"got {first!r}")
        if self.pos < len(self.tokens) and self.tokens[self.pos][1] == ".":
            self.take()
            kind = _KINDS.get(first.lower())
            if kind is None:
                raise _error(self.text, f"unknown entity type {first!r}")
            token = self.take()
            key = _key(token, self.text)
            while token[0] == "word" and self._at(".") and self._next_is_word():
                self.take()  # an unquoted key may hold dots: tags.mlflow.parentRunId
                key += "." + self.take()[1]
        else:
            kind, key = "attribute", first
        if kind == "attribute" and key.lower() not in ATTRIBUTES:
            raise _error(self.text, f"unknown attribute {key!r}; use one of "
                                    f"{', '.join(sorted(ATTRIBUTES))}")
        return kind, key.lower() if kind == "attribute" else key

    def comparison(self) -> Condition:
        kind, key = self.entity()
        op = self._operator()
        if op in ("IS NULL", "IS NOT NULL"):
            return Condition(kind, key, op, None)
        if op in ("IN", "NOT IN"):
            return Condition(kind, key, op, self._values())
        kind_tok, raw = self.take()
        return Condition(kind, key, op, _value(kind, key, op, kind_tok, raw, self.text))

    def _operator(self) -> str:
        kind, raw = self.take()
        if kind == "op":
            return "!=" if raw == "<>" else raw
        word = raw.upper()
        if word == "NOT" and self.peek_word("IN"):
            self.take()
            return "NOT IN"
        if word == "IS":
            negate = self.peek_word("NOT")
            if negate:
                self.take()
            if not self.peek_word("NULL"):
                raise _error(self.text, "IS must be followed by NULL or NOT NULL")
            self.take()
            return "IS NOT NULL" if negate else "IS NULL"
        if word in ("LIKE", "ILIKE", "IN"):
            return word
        raise _error(self.text, f"unknown comparator {raw!r}")

    def _values(self) -> tuple[str, ...]:
        if self.take()[1] != "(":
            raise _error(self.text, "IN needs a parenthesised list")
        values: list[str] = []
        while True:
            kind, raw = self.take()
            if kind != "str":
                raise _error(self.text, "IN lists hold quoted strings")
            values.append(_unquote(raw))
            sep = self.take()[1]
            if sep == ")":
                return tuple(values)
            if sep != ",":
                raise _error(self.text, "separate IN values with commas")


def _key(token: tuple[str, str], text: str) -> str:
    kind, raw = token
    if kind == "bq":
        return raw[1:-1]
    if kind == "str":
        return _unquote(raw)
    if kind in ("word", "num"):
        return raw
    raise _error(text, f"expected a key, got {raw!r}")


def _value(kind: Kind, key: str, op: str, tok: str, raw: str,
           text: str) -> str | float:
    numeric = kind == "metric" or (kind == "attribute"
                                   and ATTRIBUTES[key] in NUMERIC_ATTRIBUTES)
    if numeric:
        if op in ("LIKE", "ILIKE"):
            raise _error(text, f"{op} compares strings, not the number {key!r}")
        if tok != "num":
            raise _error(text, f"{kind} {key!r} is compared with a number, got {raw!r}")
        return float(raw)
    if tok != "str":
        raise _error(text, f"{kind} {key!r} is compared with a quoted string, got {raw!r}")
    if op not in ("=", "!=", "LIKE", "ILIKE") and kind != "attribute":
        raise _error(text, f"{kind}s support =, !=, LIKE and ILIKE, not {op}")
    return _unquote(raw)


def _unquote(raw: str) -> str:
    return re.sub(r"\\(.)", r"\1", raw[1:-1])


def _error(text: str, problem: str) -> InvalidInput:
    return InvalidInput(f"invalid filter {text!r}: {problem}", code="invalid_filter",
                        details={"filter": text})
