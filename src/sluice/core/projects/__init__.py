"""Projects: the unit of ownership and permission; soft-deleted and restorable.

The front doors import this area only from here (see ``sluice.core.public``)."""

from typing import TYPE_CHECKING

from sluice.core.public import lazy_exports

if TYPE_CHECKING:
    from sluice.core.projects.service import ProjectInfo as ProjectInfo

__getattr__, __dir__ = lazy_exports(__name__, __file__)
