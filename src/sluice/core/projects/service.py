"""Projects: the namespace every dataset, job and model belongs to."""

from __future__ import annotations

import builtins
import re
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError

from sluice.core.access.service import AccessService
from sluice.core.audit.service import AuditLog
from sluice.core.context import Ctx, Principal, Role
from sluice.errors import AlreadyExists, InvalidInput, NotFound
from sluice.ids import new_id, utcnow
from sluice.storage.metadata.database import Database
from sluice.storage.metadata.schema import MemberRow, ProjectRow

DEFAULT_PROJECT = "default"
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")



# On every request: prebuilt queries, no ORM objects.
_BY_NAME = select(ProjectRow.id, ProjectRow.name).where(
    ProjectRow.name == bindparam("name"), ProjectRow.deleted_at.is_(None))
_ROLE = select(MemberRow.role).where(MemberRow.project_id == bindparam("project"),
                                     MemberRow.user_id == bindparam("user"))


class ProjectInfo(BaseModel):
    id: str
    name: str
    description: str
    created_at: datetime
    role: str = ""  # the caller's role in it
    deleted: bool = False


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
    def __init__(self, db: Database, audit: AuditLog, access: AccessService) -> None:
        self.db = db
        self.audit = audit
        self.access = access

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

    def context(self, name: str | None, actor: Principal) -> Ctx:
        """The scope for ``actor`` working in project ``name`` (None: the one its token is
        scoped to, else ``default``), with the permissions its role there grants.

        Raises:
            NotFound: ``project_not_found`` for a project that does not exist, is deleted,
                or that ``actor`` may not know exists (not a member; a token scoped to
                another project): the same answer, so nothing leaks.
        """
        name = name or actor.project or DEFAULT_PROJECT
        with self.db.reader() as s:
            row = s.execute(_BY_NAME, {"name": name}).first()
            role = self._role(s, row.id, actor) if row is not None else None
        if row is None or role is None or actor.project_id not in (None, row.id):
            raise _not_found(name)
        return self._ctx(row.id, row.name, actor, role)

    def context_by_id(self, project_id: str, actor: Principal) -> Ctx:
        """The scope of work already accepted in a project (a job, an event's follow-up)."""
        with self.db.reader() as s:
            row = s.get(ProjectRow, project_id)
            role = self._role(s, project_id, actor) if row is not None else None
        if row is None or row.deleted_at is not None or role is None:
            raise _not_found(project_id)
        return self._ctx(row.id, row.name, actor, role)

    @staticmethod
    def _role(s: Any, project_id: str, actor: Principal) -> str | None:
        if actor.admin or actor.grants is not None:
            return str(Role.ADMIN) if actor.admin else "system"
        found = s.execute(_ROLE, {"project": project_id, "user": actor.user_id}).scalar()
        return None if found is None else str(found)

    def _ctx(self, project_id: str, name: str, actor: Principal, role: str) -> Ctx:
        if actor.grants is not None and not actor.admin:
            granted = actor.grants
        else:
            granted = self.access.grants(role)
        return Ctx(project_id=project_id, project=name, actor=actor, role=role,
                   permissions=granted)

    def create(self, ctx: Ctx, name: str, description: str = "") -> ProjectInfo:
        ctx.require_admin("create projects")
        check_name(name, "project")
        try:
            with self.db.session() as s:
                row = ProjectRow(id=new_id(), name=name, description=str(description)[:2000],
                                 created_at=utcnow())
                s.add(row)
        except IntegrityError as exc:
            raise AlreadyExists(f"project {name!r} exists (or was deleted: `sluice projects "
                                "restore` brings it back)", code="project_exists") from exc
        self.audit.record(ctx, "project.create", f"project:{name}")
        return _info(row, "admin")

    def delete(self, ctx: Ctx, name: str) -> ProjectInfo:
        """Hide a project: its data, members and tokens stay, unusable until restored."""
        ctx.require_admin("delete projects")
        if name == DEFAULT_PROJECT:
            raise InvalidInput("the default project cannot be deleted",
                               code="default_project")
        info = self._set_deleted(name, utcnow())
        self.audit.record(ctx, "project.delete", f"project:{name}")
        return info

    def restore(self, ctx: Ctx, name: str) -> ProjectInfo:
        ctx.require_admin("restore projects")
        info = self._set_deleted(name, None)
        self.audit.record(ctx, "project.restore", f"project:{name}")
        return info

    def _set_deleted(self, name: str, when: datetime | None) -> ProjectInfo:
        with self.db.session() as s:
            row = s.scalar(select(ProjectRow).where(ProjectRow.name == name)) \
                if isinstance(name, str) else None
            if row is None or (row.deleted_at is None) == (when is None):
                raise _not_found(name)
            row.deleted_at = when
            return _info(row, "")

    def list(self, ctx: Ctx, *, deleted: bool = False) -> builtins.list[ProjectInfo]:
        """The projects the caller belongs to (a workspace admin: all of them); ``deleted``
        (admins): the deleted ones instead."""
        if deleted:
            ctx.require_admin("list deleted projects")
        roles = {} if ctx.actor.admin else self.access.projects_of(ctx.actor.user_id)
        q = select(ProjectRow).where(ProjectRow.deleted_at.is_not(None) if deleted
                                     else ProjectRow.deleted_at.is_(None))
        with self.db.reader() as s:
            rows = s.scalars(q.order_by(ProjectRow.name)).all()
        if ctx.actor.admin:
            return [_info(r, "admin") for r in rows]
        return [_info(r, roles[r.id]) for r in rows if r.id in roles
                and ctx.actor.project_id in (None, r.id)]


def _not_found(name: str) -> NotFound:
    return NotFound(f"project {name!r} does not exist, or you are not a member (`sluice "
                    "projects list` shows yours)", code="project_not_found",
                    details={"project": str(name)[:200]})


def _info(row: ProjectRow, role: str) -> ProjectInfo:
    return ProjectInfo(id=row.id, name=row.name, description=row.description,
                       created_at=row.created_at, role=role,
                       deleted=row.deleted_at is not None)
