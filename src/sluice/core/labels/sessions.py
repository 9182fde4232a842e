"""Labeling sessions: a batch of answers, each refused on its own when bad, and at the end
a dataset version holding people's labels, so every session leaves a version to train on."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from sluice.core.context import Ctx, Role
from sluice.core.labels.models import Answer, AnswerError, SessionResult
from sluice.errors import InvalidInput, SluiceError

if TYPE_CHECKING:
    from sluice.core.datasets.models import VersionInfo
    from sluice.core.labels.service import LabelService

MAX_ANSWERS = 10_000  # per call; send a long session in several calls, finishing the last


def record_answers(labels: LabelService, ctx: Ctx, dataset: str, schema: str,
                   answers: Iterable[Answer], *,
                   on_answer: Callable[[int], None] | None = None) -> SessionResult:
    """Save each answer; one that is refused (unknown row or class, bad span) is reported
    and the rest go on."""
    ctx.require(Role.EDITOR, "label rows")
    labels.schema(ctx, dataset, schema)  # an unknown schema fails the whole call
    saved, errors = 0, []
    for i, answer in enumerate(answers):
        if i >= MAX_ANSWERS:
            raise InvalidInput(f"at most {MAX_ANSWERS} answers per call; send the rest in "
                               "another call", code="too_many_answers")
        try:
            labels.annotate(ctx, dataset, schema, answer.key, label=answer.label,
                            labels=answer.labels, spans=answer.spans, skip=answer.skip,
                            confidence=answer.confidence)
        except SluiceError as exc:
            errors.append(AnswerError(key=answer.key, code=exc.code, message=exc.message))
        else:
            saved += 1
        if on_answer:
            on_answer(i + 1)
    return SessionResult(schema_name=schema, saved=saved, errors=errors)


def finish(labels: LabelService, ctx: Ctx, dataset: str, schema: str) -> VersionInfo | None:
    """Commit people's labels into a new dataset version; None when they are unchanged or
    nobody has labeled anything yet."""
    ctx.require(Role.EDITOR, "label rows")
    if not labels.resolved_labels(ctx, dataset, schema):
        return None
    return labels.commit(ctx, dataset, schema,
                         message=f"labeling session of {ctx.actor.name} in {schema}")
