"""Projects: the namespace every dataset, job and model belongs to."""

from __future__ import annotations

import builtins
import re
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError

from sluice.core.audit.service import AuditLog
from sluice.core.context import Ctx, Principal, Role
from sluice.errors import AlreadyExists, InvalidInput, NotFound
from sluice.ids import new_id, utcnow
from sluice.storage.metadata.database import Database
from sluice.storage.metadata.schema import ProjectRow

DEFAULT_PROJECT = "default"
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")



_BY_NAME = select(ProjectRow.id, ProjectRow.name).where(ProjectRow.name == bindparam("name"))

class ProjectInfo(BaseModel):
    id: str
    name: str
    description: str
    created_at: datetime


def check_name(name: str, what: str) -> str:
    """Names are lowercase letters, digits, '_' and '-', starting alphanumeric, <= 64 chars."""
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise InvalidInput(
            f"invalid {what} name {name!r}: use 1-64 lowercase letters, digits, '_' or '-', "
            "starting with a letter or digit",
            code="invalid_name",
            details={"name": str(name)[:200]},
        )
    return name


class ProjectService:
    def __init__(self, db: Database, audit: AuditLog) -> None:
        self.db = db
        self.audit = audit

    def ensure_default(self) -> None:
        with self.db.session() as s:
            if s.scalar(select(ProjectRow.id).where(ProjectRow.name == DEFAULT_PROJECT)):
                return
        try:
            with self.db.session() as s:
                s.add(ProjectRow(id=new_id(), name=DEFAULT_PROJECT, created_at=utcnow(),
                                 description="The default project."))
        except IntegrityError:
            pass  # another process created it first

    def context(self, name: str, actor: Principal) -> Ctx:
        """The scope for ``actor`` working in project ``name``."""
        with self.db.reader() as s:  # on every request: a prebuilt query, no ORM objects
            row = s.execute(_BY_NAME, {"name": name}).first()
        if row is None:
            raise NotFound(f"project {name!r} does not exist", code="project_not_found")
        return Ctx(project_id=row.id, project=row.name, actor=actor)

    def context_by_id(self, project_id: str, actor: Principal) -> Ctx:
        with self.db.session() as s:
            row = s.get(ProjectRow, project_id)
        if row is None:
            raise NotFound(f"project {project_id} does not exist", code="project_not_found")
        return Ctx(project_id=row.id, project=row.name, actor=actor)

    def create(self, ctx: Ctx, name: str, description: str = "") -> ProjectInfo:
        ctx.require(Role.ADMIN, "create projects")
        check_name(name, "project")
        try:
            with self.db.session() as s:
                row = ProjectRow(id=new_id(), name=name, description=description,
                                 created_at=utcnow())
                s.add(row)
        except IntegrityError as exc:
            raise AlreadyExists(f"project {name!r} exists", code="project_exists") from exc
        self.audit.record(ctx, "project.create", f"project:{name}")
        return _info(row)

    def list(self) -> builtins.list[ProjectInfo]:
        with self.db.session() as s:
            return [_info(r) for r in s.scalars(select(ProjectRow).order_by(ProjectRow.name))]


def _info(row: ProjectRow) -> ProjectInfo:
    return ProjectInfo(id=row.id, name=row.name, description=row.description,
                       created_at=row.created_at)
