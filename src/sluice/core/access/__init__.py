"""Permissions per project: the named permissions areas define, the roles that grant them
(built-in and custom) and who holds which role in which project.

The front doors import this area only from here (see ``sluice.core.public``)."""

from typing import TYPE_CHECKING

from sluice.core.public import lazy_exports

if TYPE_CHECKING:
    from sluice.core.access.catalog import (
        MEMBER as MEMBER,
        PUBLIC as PUBLIC,
        SIGNED_IN as SIGNED_IN,
        WORKSPACE_ADMIN as WORKSPACE_ADMIN,
    )
    from sluice.core.access.gate import (
        admit as admit,
        admit_in as admit_in,
        needs_project as needs_project,
    )
    from sluice.core.access.recent import generation as generation
    from sluice.core.access.service import (
        MemberInfo as MemberInfo,
        PermissionInfo as PermissionInfo,
        RoleInfo as RoleInfo,
    )

__getattr__, __dir__ = lazy_exports(__name__, __file__)
