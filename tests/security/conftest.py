"""An admin, an editor and a viewer on one in-process app, as the attacker tries them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from sluice.core.context import Role


@pytest.fixture
def tokens(platform: Any) -> dict[str, str]:
    """A token each for ``editor`` and ``viewer`` (and the admin's)."""
    ctx = platform.local_context()
    out = {"admin": (platform.settings.home / "admin-token").read_text().strip()}
    for name, role in (("editor", Role.EDITOR), ("viewer", Role.VIEWER)):
        platform.auth.create_user(ctx, name, role)
        out[name] = platform.auth.create_token(ctx, "t", user=name).token
    return out


@pytest.fixture
def as_role(app: Any, tokens: dict[str, str]) -> Iterator[Any]:
    """``as_role("viewer")``: an in-process client carrying that user's token."""
    from fastapi.testclient import TestClient

    opened: list[Any] = []

    def make(role: str) -> Any:
        client = TestClient(app, base_url="http://testserver")
        client.__enter__()
        client.headers["Authorization"] = f"Bearer {tokens[role]}"
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)
