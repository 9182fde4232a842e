"""``sluice areas [NAME]``: the capabilities this installation runs, and any that failed."""

from __future__ import annotations

from typing import Annotated

import typer

from sluice.cli.main import JsonOpt, state
from sluice.cli.output import kv, out, print_json, table


def areas(
    name: Annotated[str | None, typer.Argument(help="One area, in full.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List the areas (built-in and plugins) with what each brings; say which failed and why."""
    s = state(as_json)
    client = s.client()
    if name is not None:
        area = client.areas.get(name)
        if s.json:
            return print_json(area)
        kv([("area", area.name), ("source", area.source), ("what", area.summary),
            ("job kinds", ", ".join(area.job_kinds) or "none"),
            ("API routes", len(area.api_routes)), ("pages", ", ".join(area.pages) or "none"),
            ("commands", ", ".join(area.commands) or "none"),
            ("SDK", ", ".join(area.sdk) or "none"), ("tables", ", ".join(area.tables) or "none"),
            ("permissions", ", ".join(area.permissions) or "none"),
            ("subscribers", ", ".join(area.subscribers) or "none")])
        return None
    report = client.areas.report()
    if s.json:
        return print_json(report)
    table("Areas", ["area", "source", "routes", "pages", "commands", "what"], [
        [a.name, a.source, len(a.api_routes), len(a.pages), ", ".join(a.commands), a.summary]
        for a in report.areas])
    if report.problems:
        table("Not loaded", ["area", "part", "error"],
              [[p.area, p.part, p.error] for p in report.problems])
    else:
        out.print("All areas loaded.")
    return None


def add_commands(root: typer.Typer) -> None:
    root.command()(areas)
