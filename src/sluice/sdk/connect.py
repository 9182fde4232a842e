"""``sluice.connect()``: one entry point for a local workspace or a remote server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sluice.errors import InvalidInput
from sluice.sdk.api import Client
from sluice.settings import Settings, load_settings


def connect(
    url: str | None = None, *, token: str | None = None, project: str | None = None,
    home: str | Path | None = None, settings: Settings | None = None, **overrides: Any,
) -> Client:
    """Open Sluice.

    With no ``url`` (and no ``SLUICE_URL``), opens the workspace on this machine
    (``SLUICE_HOME``, default ``~/.sluice``) in-process. With a URL, talks to that
    server over HTTP with ``token`` (or ``SLUICE_TOKEN``). Both clients have the same
    methods and raise the same errors.

    Args:
        url: a Sluice server, e.g. ``http://127.0.0.1:8080``.
        token: an API token for the server.
        project: the project to work in (default: the one the token is scoped to, else
            ``default``).
        home: the local workspace folder (local mode).
        settings: full settings (local mode); otherwise read from the environment.

    Raises:
        Unauthorized: remote, without a valid token.
        NotFound: ``project_not_found``: no such project, or not one of yours.
    """
    if settings is None:
        extra: dict[str, Any] = {"home": Path(home)} if home is not None else {}
        settings = load_settings(**extra, **overrides)
    url = url or settings.url
    if url:
        secret = token or (settings.token.get_secret_value() if settings.token else None)
        if not secret:
            raise InvalidInput("connecting to a server needs a token (token=... or "
                               "SLUICE_TOKEN)", code="token_missing")
        from sluice.sdk.remote import RemoteClient

        client: Client = RemoteClient(url, secret, project=project)
        client.whoami()  # fail fast on a bad URL or token
        return client
    from sluice.platform import Platform
    from sluice.sdk.local import LocalClient

    platform = Platform.open(settings)
    platform.bootstrap()
    return LocalClient(platform, platform.local_context(project))
