"""Answers with citations: retrieval, a versioned prompt, generation, traces.

The front doors import this area only from here (see ``sluice.core.public``)."""

from typing import TYPE_CHECKING

from sluice.core.public import lazy_exports

if TYPE_CHECKING:
    from sluice.core.rag.chat import (
        CHAT_MODEL as CHAT_MODEL,
        EMBEDDING_MODEL as EMBEDDING_MODEL,
        MAX_INPUTS as MAX_INPUTS,
        MAX_MESSAGES as MAX_MESSAGES,
    )
    from sluice.core.rag.models import (
        AskEvent as AskEvent,
        AskResult as AskResult,
        TraceInfo as TraceInfo,
    )

__getattr__, __dir__ = lazy_exports(__name__, __file__)
