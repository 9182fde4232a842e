"""One label per item from people's answers: a reviewer's newest answer outranks the
annotators'; otherwise each person's newest answer counts once. Single-label: the
majority class (ties: the earliest answer among the tied classes). Multi-label and spans:
the classes (or exact spans) more than half of the people chose."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sluice.core.labels.models import Annotation, SchemaKind, SourceKind


def resolve(kind: SchemaKind, answers: Iterable[Annotation]) -> dict[str, Any]:
    """item key -> its label: a class, a sorted list of classes, or a list of spans."""
    reviews: dict[str, Any] = {}
    people: dict[str, dict[str, tuple[int, Any]]] = {}  # key -> person -> (order, value)
    for order, a in enumerate(answers):
        value = _value(kind, a)
        if a.skipped or value is None:
            continue
        if a.source_kind == SourceKind.REVIEW:
            reviews[a.row_key] = value
        elif a.source_kind == SourceKind.HUMAN:
            people.setdefault(a.row_key, {})[a.source] = (order, value)
    out = {key: _settle(kind, list(by_person.values())) for key, by_person in people.items()}
    out.update(reviews)
    return out


def _value(kind: SchemaKind, a: Annotation) -> Any:
    if kind == SchemaKind.SINGLE:
        return a.label
    if kind == SchemaKind.MULTI:
        return None if a.labels is None else sorted(a.labels)
    return None if a.spans is None else sorted(
        ({"start": s.start, "end": s.end, "label": s.label} for s in a.spans),
        key=lambda s: (s["start"], s["end"], s["label"]))


def _settle(kind: SchemaKind, answers: list[tuple[int, Any]]) -> Any:
    if kind == SchemaKind.SINGLE:
        counts: dict[str, list[int]] = {}
        for order, label in sorted(answers, key=lambda x: x[0]):
            counts.setdefault(label, []).append(order)
        return max(counts, key=lambda c: (len(counts[c]), -counts[c][0]))
    if kind == SchemaKind.MULTI:
        return sorted(_majority([set(v) for _, v in answers]))
    chosen = _majority([{(s["start"], s["end"], s["label"]) for s in v} for _, v in answers])
    return [{"start": s, "end": e, "label": label} for s, e, label in sorted(chosen)]


def _majority(sets: list[set[Any]]) -> set[Any]:
    """What more than half of the sets hold."""
    every = set().union(*sets) if sets else set()
    return {x for x in every if 2 * sum(x in s for s in sets) > len(sets)}
