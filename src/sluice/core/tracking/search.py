"""Run search: MLflow filters and order-by clauses as SQL over runs and latest values."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, and_, case, exists, func, literal, not_, select

from sluice.core.context import Ctx
from sluice.core.tracking.filters import ATTRIBUTES, Condition, parse_filter, parse_order_by
from sluice.core.tracking.models import RunPage
from sluice.core.tracking.pages import decode_token, encode_token
from sluice.core.tracking.runs import load_runs
from sluice.errors import InvalidInput
from sluice.storage.metadata.schema import (
    ExperimentRow,
    LatestMetricRow,
    RunParamRow,
    RunRow,
    RunTagRow,
)

if TYPE_CHECKING:
    from sluice.core.tracking.experiments import Experiments
    from sluice.storage.metadata.database import Database

MAX_RESULTS = 50_000
_TABLES: dict[str, Any] = {"metric": LatestMetricRow, "param": RunParamRow, "tag": RunTagRow}
_STAGES = {"ACTIVE_ONLY": ("active",), "DELETED_ONLY": ("deleted",),
           "ALL": ("active", "deleted")}


def search_runs(db: Database, experiments: Experiments, ctx: Ctx, experiment_ids: list[str],
                *, filter: str | None = None, order_by: list[str] | None = None,
                max_results: int = 1000, page_token: str | None = None,
                view: str = "ACTIVE_ONLY") -> RunPage:
    """Runs of the experiments that match ``filter``, ordered, one page at a time.

    Raises:
        InvalidInput: a bad filter, order-by clause, view type or page size.
    """
    if not 1 <= max_results <= MAX_RESULTS:
        raise InvalidInput(f"max_results must be 1..{MAX_RESULTS}", code="invalid_limit")
    stages = _STAGES.get(view.upper())
    if stages is None:
        raise InvalidInput(f"unknown run view type {view!r}", code="invalid_view_type")
    conditions = [_condition(c) for c in parse_filter(filter)]
    offset = decode_token(page_token)
    with db.reader() as s:
        exp_ids = [experiments.row(s, ctx, e).id for e in experiment_ids]
        q = (select(RunRow).join(ExperimentRow)
             .where(ExperimentRow.project_id == ctx.project_id,
                    RunRow.experiment_id.in_(exp_ids), RunRow.lifecycle_stage.in_(stages),
                    *conditions)
             .order_by(*_ordering(order_by)).offset(offset).limit(max_results + 1))
        rows = list(s.scalars(q))
        runs = load_runs(s, rows[:max_results])
    token = encode_token(offset + max_results) if len(rows) > max_results else None
    return RunPage(runs=runs, next_page_token=token)


def _condition(c: Condition) -> ColumnElement[bool]:
    if c.kind == "attribute":
        return _compare(getattr(RunRow, ATTRIBUTES[c.key]), c)
    table = _TABLES[c.kind]
    has_key = and_(table.run_id == RunRow.id, table.key == c.key)
    if c.op == "IS NULL":
        return not_(exists().where(has_key))
    if c.op == "IS NOT NULL":
        return exists().where(has_key)
    return exists().where(has_key, _compare(table.value, c))


def _compare(column: Any, c: Condition) -> ColumnElement[bool]:
    value = c.value
    if c.key in ("start_time", "end_time", "created") and isinstance(value, float):
        value = int(value)
    ops: dict[str, Any] = {
        "=": lambda: column == value, "!=": lambda: column != value,
        "<": lambda: column < value, "<=": lambda: column <= value,
        ">": lambda: column > value, ">=": lambda: column >= value,
        "LIKE": lambda: column.like(value), "ILIKE": lambda: func.lower(column).like(
            func.lower(literal(value))),
        "IN": lambda: column.in_(value), "NOT IN": lambda: column.not_in(value),
        "IS NULL": lambda: column.is_(None), "IS NOT NULL": lambda: column.is_not(None),
    }
    return ops[c.op]()  # type: ignore[no-any-return]


def _ordering(clauses: list[str] | None) -> list[Any]:
    out: list[Any] = []
    for kind, key, ascending in parse_order_by(clauses):
        if kind == "attribute":
            column: Any = getattr(RunRow, ATTRIBUTES[key])
        else:
            table = _TABLES[kind]
            column = (select(table.value).where(table.run_id == RunRow.id, table.key == key)
                      .correlate(RunRow).scalar_subquery())
        out.append(case((column.is_(None), 1), else_=0))  # missing values last
        out.append(column.asc() if ascending else column.desc())
    out += [RunRow.start_ms.desc(), RunRow.id]
    return out
