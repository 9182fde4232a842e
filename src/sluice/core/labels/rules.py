"""No-code labeling functions, evaluated on the server: keywords, a regular expression, a
SQL predicate, or similarity to example rows. Each votes its class or abstains."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import regex

from sluice.core.sql.predicates import one_expression
from sluice.errors import InvalidInput, Timeout

KINDS = ("keyword", "regex", "sql", "similarity", "llm", "python")
REGEX_TIMEOUT_S = 0.05


@dataclass
class Outcome:
    """Votes (row key -> class) and failures (row key -> error) of one function."""

    votes: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def config_from_rule(kind: str, rule: str, *, threshold: float = 0.6) -> dict[str, Any]:
    """The config of a function written as one line, the way the CLI and the web form take
    it: comma-separated keywords or example row keys, or a pattern, predicate or prompt."""
    items = [part.strip() for part in rule.split(",") if part.strip()]
    configs: dict[str, dict[str, Any]] = {
        "keyword": {"keywords": items}, "regex": {"pattern": rule},
        "sql": {"predicate": rule}, "llm": {"prompt": rule},
        "similarity": {"examples": items, "threshold": threshold}}
    return check_config(kind, configs.get(kind, {}))


def check_config(kind: str, config: dict[str, Any]) -> dict[str, Any]:
    """The config a kind needs, cleaned; InvalidInput says what is missing."""
    checker = _CHECKS.get(kind)
    if checker is None:
        raise InvalidInput(f"unknown labeling function kind {kind!r}; use "
                           f"{', '.join(KINDS)}", code="invalid_lf_kind")
    return checker(config)


def _keyword(config: dict[str, Any]) -> dict[str, Any]:
    words = [str(w).strip() for w in config.get("keywords", []) if str(w).strip()]
    if not words:
        raise _bad("a keyword function needs keywords")
    return {"keywords": words, "case_sensitive": bool(config.get("case_sensitive"))}


def _regex(config: dict[str, Any]) -> dict[str, Any]:
    pattern = str(config.get("pattern") or "")
    if not pattern:
        raise _bad("a regex function needs a pattern")
    try:
        regex.compile(pattern)
    except regex.error as exc:
        raise _bad(f"invalid regular expression: {exc}") from exc
    return {"pattern": pattern, "case_sensitive": bool(config.get("case_sensitive"))}


def _sql(config: dict[str, Any]) -> dict[str, Any]:
    """One expression, stored as DuckDB prints it back (see ``core.sql.predicates``)."""
    raw = str(config.get("predicate") or "").strip()
    return {"predicate": one_expression(raw, code="invalid_lf_config")}


def _similarity(config: dict[str, Any]) -> dict[str, Any]:
    examples = [str(k).strip() for k in config.get("examples", []) if str(k).strip()]
    try:
        threshold = float(config.get("threshold", 0.6))
    except (TypeError, ValueError):
        threshold = -1.0
    if not examples or not 0 < threshold < 1:
        raise _bad("a similarity function needs example row keys and a threshold in (0, 1)")
    return {"examples": examples, "threshold": threshold}


def _llm(config: dict[str, Any]) -> dict[str, Any]:
    prompt = str(config.get("prompt") or "").strip()
    max_rows = int(config.get("max_rows", 500))
    if not prompt or len(prompt) > 4000 or not 1 <= max_rows <= 100_000:
        raise _bad("an llm function needs a prompt (up to 4,000 characters) and max_rows "
                   "1..100000")
    return {"prompt": prompt, "max_rows": max_rows}


def _python(config: dict[str, Any]) -> dict[str, Any]:
    return {"source": str(config.get("source", ""))[:20_000]}


def _bad(message: str) -> InvalidInput:
    return InvalidInput(message, code="invalid_lf_config")


_CHECKS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "keyword": _keyword, "regex": _regex, "sql": _sql, "similarity": _similarity,
    "llm": _llm, "python": _python}


def text_rule(kind: str, config: dict[str, Any]) -> regex.Pattern[str]:
    flags = 0 if config.get("case_sensitive") else regex.IGNORECASE
    if kind == "keyword":
        words = "|".join(regex.escape(w) for w in config["keywords"])
        return regex.compile(rf"(?<!\w)(?:{words})(?!\w)", flags)
    return regex.compile(config["pattern"], flags)


class Deadline:
    """The time one run of the labeling functions may take (``lf_apply_seconds``)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def left(self) -> float:
        return self.at - time.monotonic()

    def check(self) -> None:
        if self.left() <= 0:
            raise Timeout(f"the labeling functions used their {self.seconds:g} s budget "
                          "(lf_apply_seconds); this function kept its last votes",
                          code="apply_budget_exhausted")


def apply_text_rule(rule: regex.Pattern[str], label: str, keys: list[str],
                    texts: list[str], check: Callable[[], None] | None = None) -> Outcome:
    """Vote ``label`` where the rule matches; a match that runs too long fails that row.
    ``check`` runs before each row (the budget, cancellation: both cheap) and may raise."""
    out = Outcome()
    for key, text in zip(keys, texts, strict=True):
        if check is not None:
            check()
        try:
            if rule.search(text or "", timeout=REGEX_TIMEOUT_S):
                out.votes[key] = label
        except TimeoutError:
            out.errors[key] = f"the pattern ran longer than {REGEX_TIMEOUT_S * 1000:.0f} ms"
    return out
