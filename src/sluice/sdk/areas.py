"""``client.areas``: the capabilities a workspace or server runs, and any that failed."""

from __future__ import annotations

import builtins
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING
from urllib.parse import quote

from sluice.areas.info import AreaInfo, AreasReport, describe_named, report

if TYPE_CHECKING:
    from sluice.sdk.local import LocalClient
    from sluice.sdk.remote import RemoteClient


class AreasAPI(ABC):
    """``client.areas``: what each area brings (routes, pages, commands, job kinds)."""

    @abstractmethod
    def report(self) -> AreasReport:
        """Every area, and the parts that failed to load with why."""

    @abstractmethod
    def get(self, name: str) -> AreaInfo:
        """One area. Raises NotFound (``unknown_area``)."""

    def list(self) -> builtins.list[AreaInfo]:
        return self.report().areas


class LocalAreas(AreasAPI):
    """The areas of this process."""

    def __init__(self, client: LocalClient) -> None:
        self.client = client

    def report(self) -> AreasReport:
        return report()

    def get(self, name: str) -> AreaInfo:
        return describe_named(name)


class RemoteAreas(AreasAPI):
    """The areas of the server."""

    def __init__(self, client: RemoteClient) -> None:
        self.http = client.http

    def report(self) -> AreasReport:
        return self.http.model(AreasReport, "GET", "/areas")

    def get(self, name: str) -> AreaInfo:
        return self.http.model(AreaInfo, "GET", f"/areas/{quote(name, safe='')}")
