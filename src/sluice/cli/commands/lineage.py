"""``sluice lineage REF`` and ``sluice events list|subscribers``."""

from __future__ import annotations

from typing import Annotated

import typer

from sluice.cli.main import JsonOpt, state
from sluice.cli.output import out, print_json, short, table

events_app = typer.Typer(no_args_is_help=True)


def lineage(
    ref: Annotated[str, typer.Argument(help="name@N, model:NAME@ALIAS, model:NAME/N, "
                                            "run:ID or file:SHA256")],
    upstream: Annotated[bool, typer.Option("--upstream", help="What it came from "
                                                              "(the default).")] = False,
    downstream: Annotated[bool, typer.Option("--downstream",
                                             help="What came of it.")] = False,
    depth: Annotated[int, typer.Option(help="Steps to follow.")] = 20,
    limit: Annotated[int, typer.Option(help="Most nodes to return.")] = 500,
    as_json: JsonOpt = False,
) -> None:
    """The lineage graph around a dataset version, model version or alias, run or file."""
    s = state(as_json)
    direction = "both" if upstream and downstream else "downstream" if downstream \
        else "upstream"
    graph = s.client().lineage(ref, direction=direction, depth=depth, limit=limit)
    if s.json:
        return print_json(graph)
    names = {n.id: n.label for n in graph.nodes}
    table(f"Lineage of {ref} ({graph.direction})", ["step", "kind", "what", "page"],
          [(n.depth, n.kind.value, n.label, n.href or "")
           for n in sorted(graph.nodes, key=lambda n: (n.depth, n.kind, n.label))])
    table("Edges", ["from", "relation", "to"],
          [(names[e.source], e.relation.value.replace("_", " "), names[e.target])
           for e in graph.edges])
    if graph.truncated:
        out.print("[yellow]More lies beyond --depth or --limit.[/yellow]")
    return None


@events_app.command("list")
def list_events(
    after: Annotated[int, typer.Option(help="Only events after this id.")] = 0,
    kind: Annotated[str | None, typer.Option(help="Only this kind (dataset.committed, "
                                                  "run.finished...).")] = None,
    limit: int = 100, as_json: JsonOpt = False,
) -> None:
    """The project's domain events, oldest first."""
    s = state(as_json)
    events = s.client().events.list(after=after, kind=kind, limit=limit)
    if s.json:
        return print_json(events)
    table("Events", ["id", "when", "kind", "subject", "who", "details"],
          [(e.id, e.at.strftime("%Y-%m-%d %H:%M:%S"), e.kind, e.subject, e.actor,
            short(e.payload, 60)) for e in events])
    return None


@events_app.command("subscribers")
def subscribers(as_json: JsonOpt = False) -> None:
    """Who reads the event log: position, events still to read, last failure."""
    s = state(as_json)
    found = s.client().events.subscribers()
    if s.json:
        return print_json(found)
    table("Subscribers", ["name", "position", "behind", "failures", "last error"],
          [(x.name, x.position, x.lag, x.failures, x.last_error or "") for x in found])
    return None


def add_commands(root: typer.Typer) -> None:
    root.command()(lineage)
    root.add_typer(events_app, name="events",
                   help="The domain event log and its subscribers.")
