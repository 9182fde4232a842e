"""Roles and project members: who may do what where, and every change to it audited."""

from __future__ import annotations

import builtins
from collections.abc import Callable
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from sluice.core.access.catalog import Permission, builtin_grants, check_known, is_builtin
from sluice.core.audit.service import AuditLog
from sluice.core.context import Ctx, Role
from sluice.errors import AlreadyExists, Conflict, InvalidInput, NotFound
from sluice.ids import utcnow
from sluice.storage.metadata.database import Database
from sluice.storage.metadata.schema import MemberRow, RoleRow, UserRow

ADMIN_PERMISSION = "admin"
Catalog = Callable[[], dict[str, Permission]]


class PermissionInfo(BaseModel):
    name: str
    summary: str
    area: str
    grant: str  # the lowest built-in role that has it


class RoleInfo(BaseModel):
    name: str
    description: str
    builtin: bool
    permissions: list[str]


class MemberInfo(BaseModel):
    user: str
    role: str
    since: datetime


_KNOWN: tuple[int, dict[str, Permission], dict[Role, frozenset[str]]] | None = None


def known_permissions() -> dict[str, Permission]:
    """Every permission the registered areas declare, by name (the first declaration wins);
    built once per set of areas."""
    return _known()[1]


def _known() -> tuple[int, dict[str, Permission], dict[Role, frozenset[str]]]:
    global _KNOWN
    from dataclasses import replace

    from sluice import areas

    now = areas.generation()
    if _KNOWN is None or _KNOWN[0] != now:
        found: dict[str, Permission] = {}
        for area in areas.areas():
            for permission in area.permissions:
                found.setdefault(permission.name, replace(permission, area=area.name))
        _KNOWN = (now, found, {role: builtin_grants(role, found) for role in Role})
    return _KNOWN


class AccessService:
    def __init__(self, db: Database, audit: AuditLog,
                 catalog: Catalog = known_permissions) -> None:
        self.db = db
        self.audit = audit
        self.catalog = catalog

    # -- permissions and roles ------------------------------------------------------

    def permissions(self) -> builtins.list[PermissionInfo]:
        return [PermissionInfo(name=p.name, summary=p.summary, area=p.area, grant=str(p.grant))
                for p in sorted(self.catalog().values(), key=lambda p: p.name)]

    def grants(self, role: str) -> frozenset[str]:
        """The permissions ``role`` grants now (a custom role's unknown names are ignored:
        the area that defined them may have been removed)."""
        if is_builtin(role):
            if self.catalog is known_permissions:  # on every request: precomputed
                return _known()[2][Role(role)]
            return builtin_grants(Role(role), self.catalog())
        known = self.catalog()
        with self.db.reader() as s:
            row = s.get(RoleRow, role)
            names = list(row.permissions) if row is not None else []
        return frozenset(n for n in names if n in known)

    def roles(self) -> builtins.list[RoleInfo]:
        known = self.catalog()
        out = [RoleInfo(name=str(r), description=_BUILTIN_TEXT[r], builtin=True,
                        permissions=sorted(builtin_grants(r, known))) for r in Role]
        with self.db.reader() as s:
            for row in s.scalars(select(RoleRow).order_by(RoleRow.name)):
                out.append(RoleInfo(name=row.name, description=row.description, builtin=False,
                                    permissions=sorted(row.permissions)))
        return out

    def create_role(self, ctx: Ctx, name: str, permissions: builtins.list[str],
                    description: str = "") -> RoleInfo:
        """A custom role granting exactly ``permissions`` (workspace admins only)."""
        from sluice.core.projects.service import check_name

        ctx.require_admin("create roles")
        check_name(name, "role")
        if is_builtin(name):
            raise AlreadyExists(f"{name!r} is a built-in role", code="role_exists")
        names = check_known(permissions, self.catalog())
        try:
            with self.db.session() as s:
                s.add(RoleRow(name=name, description=str(description)[:2000], permissions=names,
                              created_at=utcnow(), created_by=ctx.actor.name))
        except IntegrityError as exc:
            raise AlreadyExists(f"role {name!r} exists", code="role_exists") from exc
        self.audit.record(ctx, "role.create", f"role:{name}", permissions=names)
        return RoleInfo(name=name, description=description, builtin=False, permissions=names)

    def delete_role(self, ctx: Ctx, name: str) -> None:
        ctx.require_admin("delete roles")
        if is_builtin(name):
            raise InvalidInput(f"{name!r} is a built-in role; it cannot be deleted",
                               code="builtin_role")
        with self.db.session() as s:
            row = s.get(RoleRow, name) if isinstance(name, str) else None
            if row is None:
                raise NotFound(f"role {name!r} does not exist", code="role_not_found")
            held = s.scalar(select(func.count()).select_from(MemberRow)
                            .where(MemberRow.role == name))
            if held:
                raise Conflict(f"{held} member(s) hold role {name!r}; give them another role "
                               "first", code="role_in_use", details={"members": held})
            s.delete(row)
        self.audit.record(ctx, "role.delete", f"role:{name}")

    def check_role(self, role: str) -> str:
        if isinstance(role, str) and is_builtin(role):
            return role
        with self.db.reader() as s:
            if isinstance(role, str) and s.get(RoleRow, role) is not None:
                return role
        raise NotFound(f"role {role!r} does not exist; `sluice roles list` shows them",
                       code="role_not_found")

    # -- members ----------------------------------------------------------------------

    def role_of(self, project_id: str, user_id: str) -> str | None:
        with self.db.reader() as s:
            return s.scalar(select(MemberRow.role).where(MemberRow.project_id == project_id,
                                                         MemberRow.user_id == user_id))

    def members(self, ctx: Ctx) -> builtins.list[MemberInfo]:
        with self.db.reader() as s:
            rows = s.execute(select(UserRow.name, MemberRow.role, MemberRow.created_at)
                             .join(UserRow, UserRow.id == MemberRow.user_id)
                             .where(MemberRow.project_id == ctx.project_id)
                             .order_by(UserRow.name)).all()
        return [MemberInfo(user=u, role=r, since=at) for u, r, at in rows]

    def set_member(self, ctx: Ctx, user: str, role: str) -> MemberInfo:
        """Add ``user`` to the project with ``role``, or change their role."""
        ctx.require(ADMIN_PERMISSION, "change who is in the project")
        self.check_role(role)
        with self.db.session() as s:
            user_id = _user_id(s, user)
            row = s.get(MemberRow, (ctx.project_id, user_id))
            before = row.role if row is not None else None
            if row is None:
                row = MemberRow(project_id=ctx.project_id, user_id=user_id, role=role,
                                created_at=utcnow())
                s.add(row)
            row.role = role
            since = row.created_at
        action = "member.add" if before is None else "member.change"
        self.audit.record(ctx, action, f"user:{user}", role=role, before=before)
        return MemberInfo(user=user, role=role, since=since)

    def remove_member(self, ctx: Ctx, user: str) -> None:
        ctx.require(ADMIN_PERMISSION, "change who is in the project")
        with self.db.session() as s:
            row = s.get(MemberRow, (ctx.project_id, _user_id(s, user)))
            if row is None:
                raise NotFound(f"{user} is not a member of {ctx.project}",
                               code="member_not_found")
            role = row.role
            s.delete(row)
        self.audit.record(ctx, "member.remove", f"user:{user}", role=role)

    def add_member_unchecked(self, project_id: str, user_id: str, role: str) -> None:
        """Make a user a member (a project's creator, a new user); callers checked."""
        with self.db.session() as s:
            row = s.get(MemberRow, (project_id, user_id))
            if row is None:
                s.add(MemberRow(project_id=project_id, user_id=user_id, role=role,
                                created_at=utcnow()))
            else:
                row.role = role

    def projects_of(self, user_id: str) -> dict[str, str]:
        """The user's role in each project they belong to, by project id."""
        with self.db.reader() as s:
            rows = s.execute(select(MemberRow.project_id, MemberRow.role)
                             .where(MemberRow.user_id == user_id)).all()
        return {p: r for p, r in rows}


def _user_id(s: object, name: str) -> str:
    found = s.scalar(select(UserRow.id).where(UserRow.name == name))  # type: ignore[attr-defined]
    if found is None:
        raise NotFound(f"user {name!r} does not exist; `sluice users list` shows them",
                       code="user_not_found")
    return str(found)


_BUILTIN_TEXT = {
    Role.VIEWER: "Sees everything in the project; changes nothing.",
    Role.ANNOTATOR: "A viewer who also labels rows in the annotation queue.",
    Role.REVIEWER: "An annotator who also reviews labels and commits them.",
    Role.EDITOR: "Changes data, views, labels, runs and models; promotes model versions.",
    Role.ADMIN: "An editor who also manages the project's members and reads its audit log.",
}


def editor_grants() -> frozenset[str]:
    """What an editor may do: the rights of work done on someone's behalf by the system
    (a job whose creator is gone, a subscriber following an event)."""
    return builtin_grants(Role.EDITOR, known_permissions())
