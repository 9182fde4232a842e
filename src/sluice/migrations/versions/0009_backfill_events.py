"""backfill the event log with the changes recorded before it existed (0007): dataset, view
and label versions, runs and their inputs, model versions and aliases, so the lineage graph
(and the model cards that read it) covers a workspace's whole history. A change that
already has its event is skipped; the lineage subscriber picks the new events up.

Self-contained on purpose (plain SQL and dicts, no application models): it must keep
working however the code changes later.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 03:00:00
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

FINISHED = ("FINISHED", "FAILED", "KILLED")


def upgrade() -> None:
    conn = op.get_bind()
    have = {(k, s) for k, s in conn.execute(sa.text("SELECT kind, subject FROM events"))}
    found = [*_versions(conn), *_runs(conn), *_models(conn)]
    found = [e for e in found if (e["kind"], e["subject"]) not in have]
    found.sort(key=lambda e: e["at"])
    if found:
        op.bulk_insert(_EVENTS, found)


def downgrade() -> None:
    pass  # the backfilled events describe what happened; they stay


_EVENTS = sa.table(
    "events", sa.column("at", sa.DateTime(timezone=True)), sa.column("project_id"),
    sa.column("kind"), sa.column("subject"), sa.column("actor"), sa.column("payload", sa.JSON))


def _event(at: Any, project: str | None, kind: str, subject: str, actor: str,
           payload: dict[str, Any]) -> dict[str, Any]:
    return {"at": _when(at), "project_id": project, "kind": kind, "subject": subject[:512],
            "actor": (actor or "")[:128], "payload": payload}


def _when(value: Any) -> datetime:
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value / 1000, UTC)
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    assert isinstance(when, datetime)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _versions(conn: Any) -> list[dict[str, Any]]:
    rows = conn.execute(sa.text(
        "SELECT d.project_id, d.name, d.kind, v.number, v.operation, v.row_count, v.summary, "
        "v.created_at, v.created_by, v.job_id, src.name FROM dataset_versions v "
        "JOIN datasets d ON d.id = v.dataset_id LEFT JOIN views w ON w.dataset_id = d.id "
        "LEFT JOIN datasets src ON src.id = w.source_id")).all()
    out = []
    for project, name, kind, number, operation, rows_, stored, at, by, job, src in rows:
        summary = _json(stored)
        payload: dict[str, Any] = {
            "dataset": name, "version": number, "dataset_kind": kind, "operation": operation,
            "row_count": rows_, "job_id": job, "files": [],
            "parents": [f"{name}@{number - 1}"] if number > 1 else []}
        event = "dataset.committed"
        if src is not None and summary.get("source_version") is not None:
            event = "view.synced"
            payload["source"] = f"{src}@{summary['source_version']}"
            payload["parents"].append(payload["source"])
        elif operation == "label" and summary.get("schema"):
            event = "labels.committed"
            payload.update(schema_name=str(summary["schema"]), annotators=[], functions=[],
                           label_model=False)
        out.append(_event(at, project, event, f"{name}@{number}", by, payload))
    return out


def _runs(conn: Any) -> list[dict[str, Any]]:
    inputs: dict[str, list[dict[str, str]]] = {}
    for run, name, source in conn.execute(sa.text(
            "SELECT run_id, name, source FROM run_inputs ORDER BY id")):
        inputs.setdefault(run, []).append({"name": name, "source": source})
    out = []
    for run, name, experiment, status, user, start, end, project in conn.execute(sa.text(
            "SELECT r.id, r.name, r.experiment_id, r.status, r.\"user\", r.start_ms, r.end_ms, "
            "e.project_id FROM runs r JOIN experiments e ON e.id = r.experiment_id")):
        subject, base = f"run:{run}", {"run_id": run, "name": name}
        out.append(_event(start, project, "run.started", subject, user,
                          {**base, "experiment_id": str(experiment)}))
        if run in inputs:
            out.append(_event(start + 1, project, "run.inputs", subject, user,
                              {**base, "inputs": inputs[run]}))
        if status in FINISHED:
            out.append(_event(end or start + 2, project, "run.finished", subject, user,
                              {**base, "status": status, "inputs": inputs.get(run, [])}))
    return out


def _models(conn: Any) -> list[dict[str, Any]]:
    out = []
    for project, model, version, run, source, at, by in conn.execute(sa.text(
            "SELECT m.project_id, m.name, v.version, v.run_id, v.source, v.created_ms, "
            "v.created_by FROM model_versions v JOIN registered_models m "
            "ON m.id = v.model_id")):
        out.append(_event(at, project, "model.version_created", f"model:{model}/v{version}",
                          by, {"model": model, "version": version, "run_id": run,
                               "source": source}))
    for project, model, alias, version, at in conn.execute(sa.text(
            "SELECT m.project_id, m.name, a.alias, a.version, v.created_ms "
            "FROM model_aliases a JOIN registered_models m ON m.id = a.model_id "
            "JOIN model_versions v ON v.model_id = a.model_id AND v.version = a.version")):
        out.append(_event(at + 1, project, "model.alias_moved", f"model:{model}@{alias}", "",
                          {"model": model, "alias": alias, "from_version": None,
                           "to_version": version}))
    return out


def _json(value: Any) -> dict[str, Any]:
    import json

    if isinstance(value, str):
        value = json.loads(value or "{}")
    return value if isinstance(value, dict) else {}
