"""The audit trail: who did what, when, to which object.

The front doors import this area only from here (see ``sluice.core.public``)."""

from typing import TYPE_CHECKING

from sluice.core.public import lazy_exports

if TYPE_CHECKING:
    from sluice.core.audit.service import AuditEvent as AuditEvent

__getattr__, __dir__ = lazy_exports(__name__, __file__)
