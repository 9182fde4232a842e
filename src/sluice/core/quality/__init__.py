"""Data quality reports: column statistics, near duplicates, PII.

The front doors import this area only from here (see ``sluice.core.public``)."""

from typing import TYPE_CHECKING

from sluice.core.public import lazy_exports

if TYPE_CHECKING:
    from sluice.core.quality.service import QualityReport as QualityReport

__getattr__, __dir__ = lazy_exports(__name__, __file__)
