"""The one check every front door makes before a call: who, in which project, needing what."""

from __future__ import annotations

from collections.abc import Callable

from sluice.core.access.catalog import MEMBER, PUBLIC, SIGNED_IN, WORKSPACE_ADMIN
from sluice.core.context import Ctx, Principal, workspace_ctx
from sluice.core.projects.service import ProjectService
from sluice.errors import Forbidden


def admit(projects: ProjectService, actor: Principal, project: str | None,
          need: str | None, action: str) -> Ctx:
    """The scope of a call that needs ``need`` (a permission, or a scope of
    ``sluice.core.access.catalog``) in ``project`` (None: the token's, else ``default``).

    Raises:
        NotFound: ``project_not_found`` for a project the actor may not know exists.
        Forbidden: the actor's role there lacks the permission; or ``need`` is None (a
            route that declares nothing is refused to everyone, admins included).
    """
    return admit_in(actor, need, action, lambda: projects.context(project, actor))


def admit_in(actor: Principal, need: str | None, action: str,
             context: Callable[[], Ctx]) -> Ctx:
    """``admit``, with the actor's context in the project from ``context`` (called only
    when the need is about a project)."""
    if need is None:
        raise Forbidden(f"{action} declares no permission, so nobody may call it",
                        code="undeclared_permission")
    if need in (PUBLIC, SIGNED_IN):
        return workspace_ctx(actor)
    if need == WORKSPACE_ADMIN:
        actor.require_admin(action)  # then the project is only where roles are given
    ctx = context()
    if need not in (MEMBER, WORKSPACE_ADMIN):
        ctx.require(need, action)
    return ctx


def needs_project(need: str | None) -> bool:
    return need not in (None, PUBLIC, SIGNED_IN)
