"""Who is asking, in which project, allowed to do what: passed to every service call.

A :class:`Ctx` is built once per call by ``ProjectService.context`` from the caller's
membership of the project (``sluice.core.access``): it carries the names of the permissions
the caller's role grants there, and services check them with :meth:`Ctx.require`, so every
front door gets the same answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sluice.errors import Forbidden


class Role(StrEnum):
    """The built-in roles, each granting everything the ones before it grant."""

    VIEWER = "viewer"
    ANNOTATOR = "annotator"
    REVIEWER = "reviewer"
    EDITOR = "editor"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)


WORKSPACE_ADMIN = "admin"  # UserRow.role of a workspace admin; everyone else is a "member"
MEMBER = "member"


@dataclass(frozen=True)
class Principal:
    """An authenticated user (or the local workspace owner, or a system actor).

    ``admin``: a workspace admin, with every permission in every project. ``project_id``:
    the project the API token is scoped to (it works there and nowhere else). ``grants``:
    fixed permissions for system actors (job and event work), instead of a membership.
    """

    user_id: str
    name: str
    admin: bool = False
    token_id: str | None = None  # the API token used (a web session's opening token)
    project_id: str | None = None
    project: str | None = None
    grants: frozenset[str] | None = None

    @property
    def kind(self) -> str:
        return WORKSPACE_ADMIN if self.admin else MEMBER

    def require_admin(self, action: str) -> None:
        """Raise Forbidden unless this is a workspace admin."""
        if not self.admin:
            raise Forbidden(f"{self.name} may not {action}; it needs a workspace admin",
                            code="forbidden", details={"needs": "workspace admin"})


@dataclass(frozen=True)
class Ctx:
    """A service call's scope: the project, the principal, its role there and what that
    role allows. A workspace scope (``project_id == ""``) is for calls that belong to no
    project (tokens, users, the project list)."""

    project_id: str
    project: str
    actor: Principal
    role: str = ""
    permissions: frozenset[str] = frozenset()

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    def require(self, permission: str, action: str) -> None:
        """Raise Forbidden unless the caller's role here grants ``permission``."""
        if permission not in self.permissions:
            has = self.role or ("workspace admin" if self.actor.admin else "no role")
            raise Forbidden(
                f"{self.actor.name} ({has} in {self.project or 'this workspace'}) may not "
                f"{action}; it needs the {permission} permission (`sluice members` shows "
                "who has which role)",
                code="forbidden",
                details={"needs": permission, "role": self.role, "project": self.project},
            )

    def require_admin(self, action: str) -> None:
        self.actor.require_admin(action)


def workspace_ctx(actor: Principal) -> Ctx:
    """The scope of a call that belongs to no project."""
    return Ctx(project_id="", project="", actor=actor, role=actor.kind)


def identity(ctx: Ctx) -> dict[str, object]:
    """Who ``ctx`` is, for ``whoami`` on every door."""
    return {"user": ctx.actor.name, "role": ctx.role, "project": ctx.project,
            "admin": ctx.actor.admin, "token_project": ctx.actor.project,
            "permissions": sorted(ctx.permissions)}
