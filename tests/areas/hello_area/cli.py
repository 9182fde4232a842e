"""``sluice hello NAME``."""

from __future__ import annotations

from typing import Annotated

import typer

from sluice.cli.main import JsonOpt, state
from sluice.cli.output import out, print_json


def hello(name: Annotated[str, typer.Argument(help="Who to greet.")],
          as_json: JsonOpt = False) -> None:
    """Greet someone."""
    s = state(as_json)
    greeting = s.client().hello.greet(name)
    if s.json:
        print_json(greeting)
    else:
        out.print(f"{greeting.text} ({greeting.times} so far)")


def add_commands(root: typer.Typer) -> None:
    root.command()(hello)
