"""Settling people's answers into one label per item."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sluice.core.labels.models import Annotation, SchemaKind, SourceKind, Span
from sluice.core.labels.resolve import resolve


def _a(key: str, who: str, kind: SourceKind = SourceKind.HUMAN, **value: Any) -> Annotation:
    return Annotation(id=f"{key}{who}", row_key=key, source_kind=kind, source=who,
                      created_at=datetime.now(UTC), dataset_version=1, **value)


def test_each_person_counts_once_with_their_newest_answer() -> None:
    answers = [_a("x", "ann", label="spam"), _a("x", "bob", label="ham"),
               _a("x", "ann", label="ham"),  # ann changed her mind: not a second vote
               _a("y", "ann", label="spam"), _a("y", "bob", label="ham"),
               _a("z", "cy", skipped=True)]
    assert resolve(SchemaKind.SINGLE, answers) == {"x": "ham", "y": "spam"}  # tie: earliest
    reviewed = [*answers, _a("y", "rev", SourceKind.REVIEW, label="ham")]
    assert resolve(SchemaKind.SINGLE, reviewed)["y"] == "ham"


def test_multi_label_and_spans_keep_what_most_people_chose() -> None:
    multi = [_a("x", "ann", labels=["loud", "happy"]), _a("x", "bob", labels=["loud"]),
             _a("x", "cy", labels=["loud", "happy"]), _a("y", "ann", labels=[])]
    assert resolve(SchemaKind.MULTI, multi) == {"x": ["happy", "loud"], "y": []}
    url, short = Span(start=0, end=4, label="URL"), Span(start=0, end=3, label="URL")
    spans = [_a("x", "ann", spans=[url]), _a("x", "bob", spans=[short])]
    assert resolve(SchemaKind.SPANS, spans) == {"x": []}  # one each: no majority
    spans.append(_a("x", "cy", spans=[url]))
    assert resolve(SchemaKind.SPANS, spans) == {"x": [{"start": 0, "end": 4, "label": "URL"}]}
