"""Named permissions, as the areas declare them, and what the built-in roles grant.

Each area declares the permissions its actions need (``Area.permissions``), each with the
lowest built-in role that holds it; a built-in role grants every permission of its rank and
below (viewer < annotator < reviewer < editor < admin). Custom roles list theirs by name.

A route declares what it needs in its policy (``sluice.api.policy``): a permission name, or
one of the scopes below for routes that belong to no project.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sluice.core.context import Role
from sluice.errors import InvalidInput

PUBLIC = "public"                   # anyone, signed in or not (health, the login page)
SIGNED_IN = "signed-in"             # any signed-in user; no project (own tokens, whoami)
MEMBER = "member"                   # any role in the project (its member list)
WORKSPACE_ADMIN = "workspace.admin"  # users, projects and custom roles
SCOPES = (PUBLIC, SIGNED_IN, MEMBER, WORKSPACE_ADMIN)
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}(\.[a-z][a-z0-9_]{0,31})?$")


@dataclass(frozen=True)
class Permission:
    """One thing a role may allow. ``grant``: the lowest built-in role that has it."""

    name: str
    summary: str
    grant: Role = Role.EDITOR
    area: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME.match(self.name):
            raise InvalidInput(f"invalid permission name {self.name!r}: use 'area.action' in "
                               "lowercase letters, digits and '_'", code="invalid_permission")
        if self.name in SCOPES:
            raise InvalidInput(f"{self.name!r} is a route scope, not a permission",
                               code="invalid_permission")


def builtin_grants(role: Role, known: dict[str, Permission]) -> frozenset[str]:
    """The permissions built-in ``role`` grants (an admin: all of them)."""
    return frozenset(name for name, p in known.items() if Role(p.grant).rank <= role.rank)


def is_builtin(role: str) -> bool:
    return role in Role.__members__.values()


def check_known(names: list[str], known: dict[str, Permission]) -> list[str]:
    """``names`` without repeats, each a known permission (else ``unknown_permission``)."""
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise InvalidInput("permissions are a list of names", code="invalid_permission")
    unknown = sorted({n for n in names if n not in known})
    if unknown:
        raise InvalidInput(
            f"unknown permission(s) {', '.join(map(repr, unknown))}; `sluice roles "
            "permissions` lists them", code="unknown_permission",
            details={"unknown": unknown})
    return sorted(set(names))
