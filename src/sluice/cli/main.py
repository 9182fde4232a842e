"""The ``sluice`` command. Every command takes ``--json``; errors map to exit codes."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Annotated

import typer

from sluice.cli.output import exit_code, print_error
from sluice.errors import SluiceError
from sluice.sdk.api import Client

app = typer.Typer(
    name="sluice", no_args_is_help=True, pretty_exceptions_enable=False,
    help="Sluice: versioned datasets, SQL, quality reports and more, on your own machine.",
    context_settings={"help_option_names": ["-h", "--help"]},
)


@dataclass
class State:
    url: str | None = None
    token: str | None = None
    project: str | None = None
    json: bool = False
    _client: Client | None = field(default=None, repr=False)

    def client(self) -> Client:
        if self._client is None:
            from sluice.sdk.connect import connect

            self._client = connect(self.url, token=self.token, project=self.project)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


STATE = State()

JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def state(as_json: bool) -> State:
    STATE.json = STATE.json or as_json
    return STATE


@app.callback()
def main_options(
    url: Annotated[str | None, typer.Option(
        envvar="SLUICE_URL", help="A Sluice server; omit to use this machine's workspace.")] = None,
    token: Annotated[str | None, typer.Option(
        envvar="SLUICE_TOKEN", help="API token for --url.", show_default=False)] = None,
    project: Annotated[str | None, typer.Option(
        envvar="SLUICE_PROJECT", help="Project to work in (default: the token's, else "
                                      "`default`).")] = None,
) -> None:
    STATE.url, STATE.token, STATE.project = url, token, project


_ADDED: set[str] = set()


def add_areas(*, registered: bool = True) -> None:
    """Add the commands of every area not added yet. ``main`` includes areas an embedding
    application registered; importing this module adds the installed ones only."""
    from sluice import areas

    for area in areas.areas():
        if area.name in _ADDED or (area.source == areas.REGISTERED and not registered):
            continue
        _ADDED.add(area.name)
        for hook in areas.parts(area, "cli", area.cli, "add_commands"):
            try:
                hook(app)
            except Exception as exc:
                areas.report(area.name, "cli", exc)


add_areas(registered=False)


def main() -> None:
    """Entry point: run the app and turn SluiceErrors into messages and exit codes."""
    add_areas()
    try:
        app(standalone_mode=False)
    except SluiceError as exc:
        print_error(exc, STATE.json or "--json" in sys.argv)
        sys.exit(exit_code(exc))
    except typer.Abort:
        sys.exit(130)
    except Exception as exc:  # usage errors from Typer's click: shown, exit code 2
        code = getattr(exc, "exit_code", None)
        if code is None:
            raise
        if hasattr(exc, "show"):
            exc.show()
        sys.exit(code)
    finally:
        STATE.close()
