"""An append-only record of every change: who did what to which thing, when."""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select

from sluice.core.context import Ctx
from sluice.ids import new_id, utcnow
from sluice.storage.metadata.database import Database
from sluice.storage.metadata.schema import AuditEventRow


class AuditEvent(BaseModel):
    """One recorded change."""

    id: str
    at: datetime
    actor: str
    action: str
    target: str
    details: dict[str, Any]


class AuditLog:
    def __init__(self, db: Database) -> None:
        self.db = db

    def record(self, ctx: Ctx | None, action: str, target: str, **details: Any) -> None:
        with self.db.session() as s:
            s.add(
                AuditEventRow(
                    id=new_id(),
                    at=utcnow(),
                    project_id=(ctx.project_id or None) if ctx else None,
                    actor=ctx.actor.name if ctx else "system",
                    action=action,
                    target=target,
                    details=details,
                )
            )

    def list(self, ctx: Ctx, *, limit: int = 100) -> builtins.list[AuditEvent]:
        """Recent changes in the project, newest first; workspace admins also see the
        workspace-wide ones (users, tokens, projects, roles)."""
        ctx.require("admin", "read the audit log")
        limit = max(1, min(limit, 10_000))
        mine = AuditEventRow.project_id == ctx.project_id
        if ctx.actor.admin:
            mine = mine | AuditEventRow.project_id.is_(None)
        with self.db.session() as s:
            rows = s.scalars(
                select(AuditEventRow)
                .where(mine)
                .order_by(AuditEventRow.id.desc())
                .limit(limit)
            ).all()
            return [
                AuditEvent(
                    id=r.id, at=r.at, actor=r.actor, action=r.action,
                    target=r.target, details=r.details,
                )
                for r in rows
            ]
