"""Who is asking, in which project: passed to every service call that reads or writes."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sluice.errors import Forbidden


class Role(StrEnum):
    """What a user may do. Each role includes the ones below it."""

    VIEWER = "viewer"
    EDITOR = "editor"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Role.VIEWER: 0, Role.EDITOR: 1, Role.ADMIN: 2}


@dataclass(frozen=True)
class Principal:
    """An authenticated user (or the local workspace owner)."""

    user_id: str
    name: str
    role: Role
    token_id: str | None = None  # the API token used (a web session's opening token)

    def require(self, role: Role, action: str) -> None:
        """Raise Forbidden unless this principal has at least ``role``."""
        if self.role.rank < role.rank:
            raise Forbidden(
                f"{self.name} ({self.role}) may not {action}; it needs the {role} role",
                code="forbidden",
                details={"needs": str(role), "has": str(self.role)},
            )


@dataclass(frozen=True)
class Ctx:
    """A service call's scope: the project and the principal."""

    project_id: str
    project: str
    actor: Principal

    def require(self, role: Role, action: str) -> None:
        self.actor.require(role, action)
