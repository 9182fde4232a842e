"""``sluice ask NAME QUESTION`` and ``sluice traces ...``"""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated

import typer

from sluice.cli.main import JsonOpt, state
from sluice.cli.output import kv, out, print_json, short, table
from sluice.core.rag import AskResult
from sluice.core.search import SearchMode

traces_app = typer.Typer(no_args_is_help=True)


class AskStyle(StrEnum):
    BOTH = "both"
    EXTRACT = "extract"
    GENERATE = "generate"


def ask(
    name: Annotated[str, typer.Argument(help="A view (or a dataset with one view).")],
    question: Annotated[str, typer.Argument(help="The question.")],
    k: Annotated[int, typer.Option("-k", "--k", help="Passages to give the model.")] = 4,
    mode: Annotated[SearchMode, typer.Option(help="How passages are found.")] =
        SearchMode.HYBRID,
    where: Annotated[str | None, typer.Option(help="SQL predicate on the source rows.")] =
        None,
    max_tokens: Annotated[int | None, typer.Option(help="Longest answer, in tokens.")] =
        None,
    style: Annotated[AskStyle | None, typer.Option(
        help="both: the passages' best sentences, then a generated answer; extract: no "
             "generation; generate: no extract (default: the ask_style setting).")] = None,
    model: Annotated[str | None, typer.Option(
        "--model", help="smollm2, openai, or a registered fine-tuned model: NAME@ALIAS or "
                        "NAME/VERSION (default: the llm setting).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Answer a question from a view's passages, citing them; the answer streams as it is
    written."""
    s = state(as_json)

    def show(piece: str) -> None:
        sys.stdout.write(piece)
        sys.stdout.flush()

    def show_extract(text: str) -> None:
        out.print(f"[dim]From the sources:[/dim]\n{text}\n")
        if style != AskStyle.EXTRACT:
            out.print("[dim]Written by the model:[/dim]")

    result = s.client().ask(name, question, k=k, mode=mode.value, where=where,
                            max_tokens=max_tokens, on_token=None if s.json else show,
                            on_extract=None if s.json else show_extract,
                            style=style.value if style else None, model=model)
    if s.json:
        return print_json(result)
    out.print()
    if result.notice:
        out.print(f"[yellow]{result.notice}[/yellow]")
    _print_sources(result)
    return None


def _print_sources(result: AskResult) -> None:
    out.print()
    for c in result.citations:
        mark = "*" if c.cited else " "
        out.print(f"[bold][{c.number}][/bold]{mark} {c.source or c.parent_key}  "
                  f"[dim]{c.heading}[/dim]")
    out.print(f"[dim]{result.llm} · {result.prompt} · {result.completion_tokens} tokens in "
              f"{result.generation_ms / 1000:.1f} s · retrieval {result.retrieval_ms:.0f} ms · "
              f"trace {result.trace_id}  (* cited)[/dim]")


@traces_app.command("list")
def list_traces(as_json: JsonOpt = False, kind: str | None = None, limit: int = 20) -> None:
    """Recent traced calls, newest first."""
    s = state(as_json)
    traces = s.client().traces(kind=kind, limit=limit)
    if s.json:
        return print_json(traces)
    table("Traces", ["id", "kind", "status", "ms", "name", "when"], [
        (t.id, t.kind, t.status, f"{t.duration_ms:.0f}", short(t.name, 50), t.started_at)
        for t in traces])
    return None


@traces_app.command("show")
def show_trace(trace_id: str, as_json: JsonOpt = False) -> None:
    """One trace with its spans."""
    s = state(as_json)
    trace = s.client().trace(trace_id)
    if s.json:
        return print_json(trace)
    kv([("trace", trace.id), ("kind", trace.kind), ("status", trace.status),
        ("duration", f"{trace.duration_ms:.0f} ms"), ("inputs", trace.inputs),
        ("outputs", short(trace.outputs, 300))])
    table("Spans", ["span", "start ms", "ms", "attributes"], [
        (sp.name, f"{sp.start_ms:.0f}", f"{sp.duration_ms:.0f}", short(sp.attributes, 120))
        for sp in trace.spans])
    return None


def add_commands(root: typer.Typer) -> None:
    root.command()(ask)
    root.add_typer(traces_app, name="traces", help="Inspect traced calls (asks).")
