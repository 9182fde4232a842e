"""Labels into the dataset: a commit that writes people's labels (and, on request, the
label model's) as columns, making a new dataset version that training can pin."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from sluice.core.datasets.commits import WriteResult, WriteTarget
from sluice.core.datasets.rows import KEY
from sluice.core.datasets.writes import write_rows
from sluice.core.events.models import LabelsCommitted
from sluice.core.labels.models import SchemaKind, SourceKind
from sluice.errors import InvalidInput

if TYPE_CHECKING:
    from sluice.core.context import Ctx
    from sluice.core.datasets.models import VersionInfo
    from sluice.core.labels.service import LabelService


SPAN = pa.struct([("start", pa.int64()), ("end", pa.int64()), ("label", pa.string())])
HUMAN_TYPES = {SchemaKind.SINGLE: pa.string(), SchemaKind.MULTI: pa.list_(pa.string()),
               SchemaKind.SPANS: pa.list_(SPAN)}


def label_columns(schema: str) -> tuple[str, str, str]:
    """(people's label, label model's label, its confidence) column names."""
    return f"label_{schema}", f"weak_{schema}", f"weak_{schema}_confidence"


def describe_label_sources(columns: set[str],
                           schemas: Iterable[tuple[str, list[str]]]) -> list[str]:
    """How a version's label columns were made, for model cards: people
    (``label_<schema>``) and the label model over named functions (``weak_<schema>``).
    ``schemas`` holds each schema's name and its labeling functions' names."""
    out = []
    for schema, functions in schemas:
        human, weak, _ = label_columns(schema)
        if human in columns:
            out.append(f"{schema}: people ({human})")
        if weak in columns:
            out.append(f"{schema}: label model over {len(functions)} labeling functions "
                       f"({', '.join(functions[:10])}) ({weak})")
    return out


def commit_labels(service: LabelService, ctx: Ctx, dataset: str, schema: str, *,
                  weak: bool = False, message: str = "") -> VersionInfo | None:
    """Write the labels as columns in a new version; None when nothing changed.

    Raises:
        InvalidInput: nothing to write (no resolved labels, and no weak labels asked for).
    """
    labels = service.resolved_values(ctx, dataset, schema)
    human, weak_col, confidence_col = label_columns(schema)
    types = {human: HUMAN_TYPES[service.schema(ctx, dataset, schema).kind],
             weak_col: pa.string(), confidence_col: pa.float64()}
    weak_labels: dict[str, tuple[str, float]] = {}
    sources: dict[str, Any] = {"schema_name": schema, "label_model": weak,
                               "annotators": _annotators(service, ctx, dataset, schema),
                               "functions": []}
    if weak:
        report = service.functions.label_model(ctx, dataset, schema,
                                              include_labels=True)
        weak_labels = {x.key: (x.label, x.confidence) for x in report.labels or []
                       if x.votes > 0}
        sources["functions"] = sorted(report.functions)
    if not labels and not weak_labels:
        raise InvalidInput("no labels to commit yet: label some rows (or apply labeling "
                           "functions and pass weak=True)", code="nothing_to_commit")

    def write(target: WriteTarget) -> WriteResult:
        assert target.lance_version is not None
        stored = service.tables.open(target.table_path, target.lance_version).to_table()
        keys = stored.column(KEY).to_pylist()
        columns: dict[str, list[Any]] = {human: [labels.get(k) for k in keys]}
        if weak:
            columns[weak_col] = [weak_labels.get(k, (None, None))[0] for k in keys]
            columns[confidence_col] = [weak_labels.get(k, (None, None))[1] for k in keys]
        changed = _changed_rows(stored, columns)
        if not changed:
            return WriteResult(None)
        data = stored.take(changed)
        for name, values in columns.items():
            array = pa.array([values[i] for i in changed], type=types[name])
            index = data.schema.get_field_index(name)
            data = data.set_column(index, name, array) if index >= 0 else \
                data.append_column(name, array)
        version = write_rows(service.tables, target, data, mode="upsert")
        return WriteResult(version, summary={"rows_labelled": len(changed), "schema": schema},
                           message=message or f"labels of {schema}",
                           event=LabelsCommitted, event_fields=sources)

    made = service.datasets.committer.commit(ctx, dataset, write, operation="label",
                                              permission="labels.review")
    return None if made is None else service.datasets.version(ctx, f"{dataset}@{made.number}")


def _annotators(service: LabelService, ctx: Ctx, dataset: str, schema: str) -> list[str]:
    """Who gave the labels being written: people and reviewers (not functions)."""
    return sorted({a.source for a in service.annotations(ctx, dataset, schema)
                   if a.source_kind in (SourceKind.HUMAN, SourceKind.REVIEW)
                   and not a.retracted and not a.skipped})


def _changed_rows(stored: pa.Table, columns: dict[str, list[Any]]) -> list[int]:
    changed: set[int] = set()
    for name, values in columns.items():
        old = stored.column(name).to_pylist() if name in stored.column_names else \
            [None] * stored.num_rows
        changed.update(i for i, (a, b) in enumerate(zip(old, values, strict=True))
                       if _differs(a, b))
    return sorted(changed)


def _differs(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) > 1e-9
    return a != b
