"""``sluice up``: initialise the workspace, load the demo, serve API and web UI."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from sluice.cli.main import JsonOpt, state
from sluice.cli.output import err, out, print_json

WATCHDOG_SECONDS = 9.0  # after a stop signal, the process ends by then whatever holds it


def up(
    as_json: JsonOpt = False,
    host: Annotated[str | None, typer.Option(help="Bind address (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8080).")] = None,
    demo: Annotated[bool, typer.Option(help="Load the demo datasets if missing.")] = False,
    serve: Annotated[bool, typer.Option(help="Start the server (--no-serve: only set up).")]
    = True,
) -> None:
    """Set up the workspace (first run prints the admin token) and serve on :8080."""
    from sluice.platform import Platform
    from sluice.settings import load_settings

    s = state(as_json)
    chosen: dict[str, Any] = {k: v for k, v in {"host": host, "port": port}.items() if v}
    settings = load_settings(**chosen)
    platform = Platform.open(settings, server=True)
    new_token = platform.bootstrap()
    token = new_token.token if new_token else _saved_token(settings.home)
    loaded = _demo(platform) if demo else []
    url = f"http://{settings.host}:{settings.port}"
    info = {"url": url, "home": str(settings.home), "admin_token": token,
            "token_is_new": new_token is not None, "demo_loaded": loaded}
    if s.json:
        print_json(info)
    else:
        _banner(info)
    if serve:
        _serve(platform, settings.host, settings.port, settings.log_level)
    platform.close()


def _saved_token(home: object) -> str | None:
    from pathlib import Path

    path = Path(str(home)) / "admin-token"
    return path.read_text(encoding="utf-8").strip() if path.is_file() else None


def _demo(platform: object) -> list[str]:
    from sluice.demo.data import load_demo
    from sluice.platform import Platform

    assert isinstance(platform, Platform)
    err.print("loading demo datasets…")
    return load_demo(platform, platform.local_context())


def _banner(info: dict[str, Any]) -> None:
    out.print(f"[bold green]Sluice[/] is at [bold]{info['url']}[/]  (workspace {info['home']})")
    if info["admin_token"]:
        out.print(f"admin token: [bold]{info['admin_token']}[/]", highlight=False)
    else:
        out.print("admin token: see `sluice tokens create` (the first one was not saved)")
    if info["demo_loaded"]:
        out.print(f"demo datasets loaded: {', '.join(info['demo_loaded'])}")


def _serve(platform: object, host: str, port: int, log_level: str) -> None:
    """Serve until SIGTERM or Ctrl-C; then stop within 10 s whatever is running: requests
    get 3 s, running jobs are cancelled (killed after 3 s more) and generations stopped by
    the app's shutdown, and a watchdog ends the process if anything still holds it."""
    import uvicorn

    from sluice.api.app import create_app
    from sluice.platform import Platform

    assert isinstance(platform, Platform)

    class StoppingServer(uvicorn.Server):
        """uvicorn's server, with a watchdog armed by the first stop signal."""

        def handle_exit(self, sig: int, frame: Any) -> None:
            _arm_watchdog()
            super().handle_exit(sig, frame)

    config = uvicorn.Config(create_app(platform), host=host, port=port,
                            log_level=log_level.lower(), timeout_graceful_shutdown=3)
    StoppingServer(config).run()


def _arm_watchdog(seconds: float = WATCHDOG_SECONDS) -> None:
    import os
    import threading

    timer = threading.Timer(seconds, os._exit, args=(0,))
    timer.daemon = True
    timer.start()


def add_commands(app: typer.Typer) -> None:
    app.command()(up)
