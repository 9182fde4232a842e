"""Search: chunk views kept in sync with their source, full-text, vector and hybrid search.

The front doors import this area only from here (see ``sluice.core.public``)."""

from typing import TYPE_CHECKING

from sluice.core.public import lazy_exports

if TYPE_CHECKING:
    from sluice.core.search.evaluation import (
        QAItem as QAItem,
        Qrels as Qrels,
        RagReport as RagReport,
        RetrievalReport as RetrievalReport,
        find_beir as find_beir,
        read_corpus as read_corpus,
        read_qa as read_qa,
        read_qrels as read_qrels,
        read_queries as read_queries,
    )
    from sluice.core.search.models import (
        SearchHit as SearchHit,
        SearchMode as SearchMode,
        SearchResults as SearchResults,
        ViewInfo as ViewInfo,
    )

__getattr__, __dir__ = lazy_exports(__name__, __file__)
