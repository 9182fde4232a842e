"""Labeling sessions: a batch of answers, each refused on its own when bad, and at the end
a dataset version holding people's labels, so every session leaves a version to train on."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sluice.core.context import Ctx
from sluice.core.labels.models import Answer, AnswerError, SessionResult
from sluice.core.labels.service import answer_value
from sluice.errors import InvalidInput, NotFound, SluiceError

if TYPE_CHECKING:
    from sluice.core.datasets.models import VersionInfo
    from sluice.core.labels.service import LabelService

MAX_ANSWERS = 10_000  # per call; send a long session in several calls, finishing the last


def record_answers(labels: LabelService, ctx: Ctx, dataset: str, schema: str,
                   answers: Iterable[Answer]) -> SessionResult:
    """Check every answer against its row, then save the good ones in one transaction;
    one that is refused (unknown row or class, bad span) is reported, the rest go on."""
    ctx.require("labels.annotate", "label rows")
    answers = list(answers)
    if len(answers) > MAX_ANSWERS:  # refused before any is saved
        raise InvalidInput(f"at most {MAX_ANSWERS} answers per call; send the rest in "
                           "another call", code="too_many_answers")
    found = labels.schema(ctx, dataset, schema)
    table = labels.datasets.to_arrow(ctx, dataset, columns=["_key", found.column])
    texts = dict(zip(table.column("_key").to_pylist(), table.column(1).to_pylist(),
                     strict=True))
    checked: list[tuple[Answer, dict[str, Any]]] = []
    errors = []
    for answer in answers:
        try:
            if answer.key not in texts:
                raise NotFound(f"{dataset} has no row {answer.key!r}", code="row_not_found")
            checked.append((answer, answer_value(found, str(texts[answer.key] or ""),
                                                 answer)))
        except SluiceError as exc:
            errors.append(AnswerError(key=answer.key, code=exc.code, message=exc.message))
    if checked:
        labels.save_answers(ctx, dataset, schema, checked)
    return SessionResult(schema_name=schema, saved=len(checked), errors=errors)


def finish(labels: LabelService, ctx: Ctx, dataset: str, schema: str) -> VersionInfo | None:
    """Commit people's labels into a new dataset version; None when they are unchanged,
    nobody has labeled anything yet, or the caller may only annotate (the answers are
    kept; someone with ``labels.review`` commits them)."""
    ctx.require("labels.annotate", "label rows")
    if not ctx.can("labels.review") or not labels.resolved_values(ctx, dataset, schema):
        return None
    return labels.commit(ctx, dataset, schema,
                         message=f"labeling session of {ctx.actor.name} in {schema}")
