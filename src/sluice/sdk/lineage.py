"""``client.lineage(ref)`` and ``client.events``: the lineage graph and the event log."""

from __future__ import annotations

import builtins
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any

from sluice.core.events import Event, SubscriberState
from sluice.core.lineage import Direction, LineageGraph

if TYPE_CHECKING:
    from sluice.sdk.local import LocalClient
    from sluice.sdk.remote import RemoteClient


class LineageAPI(ABC):
    """``client.lineage(ref)``: the lineage graph around a dataset version (``name@N``), a
    model version or alias (``model:name/N``, ``name@alias``), a run (``run:ID``) or a file
    (``file:SHA256``)."""

    @abstractmethod
    def __call__(self, ref: str, *, direction: Direction | str = Direction.UPSTREAM,
                 depth: int = 20, limit: int = 500) -> LineageGraph:
        """What ``ref`` came from (upstream), what came of it (downstream), or both."""


class EventsAPI(ABC):
    """``client.events``: the domain event log and its subscribers."""

    @abstractmethod
    def list(self, *, after: int = 0, kind: str | None = None,
             limit: int = 100) -> builtins.list[Event]:
        """The project's events after id ``after``, oldest first."""

    @abstractmethod
    def subscribers(self) -> builtins.list[SubscriberState]:
        """Each subscriber's position, lag and last failure."""


class LocalLineage(LineageAPI):

    def __init__(self, client: LocalClient) -> None:
        self.service, self.ctx = client.platform.lineage, client.ctx

    def __call__(self, ref: str, *, direction: Direction | str = Direction.UPSTREAM,
                 depth: int = 20, limit: int = 500) -> LineageGraph:
        return self.service.graph(self.ctx, ref, direction=direction, depth=depth,
                                  limit=limit)


class RemoteLineage(LineageAPI):
    def __init__(self, client: RemoteClient) -> None:
        self.http = client.http

    def __call__(self, ref: str, *, direction: Direction | str = Direction.UPSTREAM,
                 depth: int = 20, limit: int = 500) -> LineageGraph:
        params: dict[str, Any] = {"ref": ref, "direction": str(direction), "depth": depth,
                                  "limit": limit}
        return self.http.model(LineageGraph, "GET", "/lineage", params=params)


class LocalEvents(EventsAPI):
    def __init__(self, client: LocalClient) -> None:
        self.log, self.ctx = client.platform.events, client.ctx

    def list(self, *, after: int = 0, kind: str | None = None,
             limit: int = 100) -> builtins.list[Event]:
        """The project's events after id ``after``, oldest first."""
        return self.log.list(self.ctx, after=after, kind=kind, limit=limit)

    def subscribers(self) -> builtins.list[SubscriberState]:
        """Each subscriber's position, lag and last failure."""
        return self.log.subscribers()


class RemoteEvents(EventsAPI):
    def __init__(self, client: RemoteClient) -> None:
        self.http = client.http

    def list(self, *, after: int = 0, kind: str | None = None,
             limit: int = 100) -> builtins.list[Event]:
        params: dict[str, Any] = {"after": after, "limit": limit}
        if kind is not None:
            params["kind"] = kind
        return self.http.model(builtins.list[Event], "GET", "/events", params=params)

    def subscribers(self) -> builtins.list[SubscriberState]:
        return self.http.model(builtins.list[SubscriberState], "GET", "/events/subscribers")
