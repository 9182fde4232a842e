"""The lineage graph: what each dataset version, label set, run, model version and alias
came from, built from the event log (``core/events``).

The front doors import this area only from here (see ``sluice.core.public``)."""

from typing import TYPE_CHECKING

from sluice.core.public import lazy_exports

if TYPE_CHECKING:
    from sluice.core.lineage.models import Direction as Direction, LineageGraph as LineageGraph
    from sluice.core.lineage.service import (
        MAX_DEPTH as MAX_DEPTH,
        MAX_NODES as MAX_NODES,
        REF_HELP as REF_HELP,
    )

__getattr__, __dir__ = lazy_exports(__name__, __file__)
