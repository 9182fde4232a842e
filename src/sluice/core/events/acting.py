"""Work a subscriber does because of an event runs in the event's project, on behalf of the
person whose change it follows, with the rights that work needs (an editor's)."""

from __future__ import annotations

from sluice.core.access.service import editor_grants
from sluice.core.context import Ctx, Principal
from sluice.core.events.models import Event
from sluice.core.projects.service import ProjectService


def acting_for(projects: ProjectService, event: Event) -> Ctx | None:
    """The scope to act in, or None for an event of no project (or a deleted one)."""
    if event.project_id is None:
        return None
    actor = Principal(user_id="system", name=event.actor or "system", grants=editor_grants())
    try:
        return projects.context_by_id(event.project_id, actor)
    except Exception:  # the project is gone: nothing to do for it
        return None
