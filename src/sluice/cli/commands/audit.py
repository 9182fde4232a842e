"""``sluice audit``"""

from __future__ import annotations

import typer

from sluice.cli.main import JsonOpt, state
from sluice.cli.output import print_json, short, table


def audit(as_json: JsonOpt = False, limit: int = 50) -> None:
    """Recent changes: who did what to which dataset, token or job, and when."""
    s = state(as_json)
    events = s.client().audit(limit=limit)
    if s.json:
        return print_json(events)
    table("Audit log", ["when", "who", "action", "target", "details"], [
        (e.at, e.actor, e.action, e.target, short(e.details, 60)) for e in events])
    return None


def add_commands(app: typer.Typer) -> None:
    app.command()(audit)
