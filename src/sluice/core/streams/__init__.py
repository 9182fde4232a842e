"""Streams: rows appended to a dataset in batches, over HTTP or from Redis.

The front doors import this area only from here (see ``sluice.core.public``)."""

from typing import TYPE_CHECKING

from sluice.core.public import lazy_exports

if TYPE_CHECKING:
    from sluice.core.streams.append import AppendResult as AppendResult
    from sluice.core.streams.service import KIND_REDIS as KIND_REDIS

__getattr__, __dir__ = lazy_exports(__name__, __file__)
