"""Read-only, bounded SQL over datasets, with exports.

The front doors import this area only from here (see ``sluice.core.public``)."""

from typing import TYPE_CHECKING

from sluice.core.public import lazy_exports

if TYPE_CHECKING:
    from sluice.core.sql.export import (
        FORMATS as FORMATS,
        MEDIA_TYPES as MEDIA_TYPES,
        from_arrow_ipc as from_arrow_ipc,
        to_bytes as to_bytes,
    )
    from sluice.core.sql.models import QueryResult as QueryResult

__getattr__, __dir__ = lazy_exports(__name__, __file__)
