"""Training: AutoML for tables (this far: the search engine; the doors come next).

The front doors import this area only from here (see ``sluice.core.public``)."""

from typing import TYPE_CHECKING

from sluice.core.public import lazy_exports

if TYPE_CHECKING:
    from sluice.core.training.models import (
        SearchResult as SearchResult,
        Task as Task,
        Trial as Trial,
    )
    from sluice.core.training.tabular import search as search

__getattr__, __dir__ = lazy_exports(__name__, __file__)
