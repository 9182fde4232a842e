"""``client.hello``: the same methods in process and over HTTP."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from tests.areas.hello_area.core import Greeting


class LocalHello:
    def __init__(self, client: Any) -> None:
        self.service = client.platform.service("hello")
        self.ctx = client.ctx

    def greet(self, name: str) -> Greeting:
        return self.service.greet(self.ctx, name)


class RemoteHello:
    def __init__(self, client: Any) -> None:
        self.http = client.http

    def greet(self, name: str) -> Greeting:
        return self.http.model(Greeting, "POST", f"/hello/{quote(name, safe='')}")
