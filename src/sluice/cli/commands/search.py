"""``sluice views ...``, ``sluice index NAME`` and ``sluice search NAME QUERY``"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.text import Text

from sluice.cli.main import JsonOpt, state
from sluice.cli.output import kv, out, print_json, short, table
from sluice.cli.progress import follow, progress_bar
from sluice.core.search import SearchHit, SearchMode, ViewInfo

app = typer.Typer(no_args_is_help=True)


@app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="Name of the new view.")],
    source: Annotated[str, typer.Option("--from", help="Dataset whose text to chunk.")],
    column: Annotated[str | None, typer.Option(
        help="Text column (default: text).")] = None,
    chunk_size: Annotated[int, typer.Option(help="Most tokens per chunk.")] = 200,
    chunk_overlap: Annotated[int, typer.Option(help="Tokens repeated between chunks.")] = 30,
    embedder: Annotated[str | None, typer.Option(help="minilm or openai.")] = None,
    auto_sync: Annotated[bool, typer.Option(
        help="Re-sync whenever the source commits.")] = True,
    as_json: JsonOpt = False,
) -> None:
    """Chunk a dataset's text, embed the chunks and index them for search."""
    s = state(as_json)
    with progress_bar(f"view {name}", quiet=s.json) as update:
        view = s.client().views.create(
            name, source, column=column, chunk_size=chunk_size, chunk_overlap=chunk_overlap,
            embedder=embedder, auto_sync=auto_sync, on_progress=update)
    _show(view, s.json)


@app.command("list")
def list_(as_json: JsonOpt = False) -> None:
    """All views with their source and sync state."""
    s = state(as_json)
    views = s.client().views.list()
    if s.json:
        return print_json(views)
    table("Views", ["view", "source", "column", "chunks", "synced", "index", "embedder"], [
        (v.name, v.source, v.column, v.chunks, _synced(v), v.index, v.embedder)
        for v in views])
    return None


@app.command("show")
def show(name: str, as_json: JsonOpt = False) -> None:
    """One view: its settings and how far it has caught up."""
    s = state(as_json)
    _show(s.client().views.get(name), s.json)


@app.command("sync")
def sync(name: str, as_json: JsonOpt = False) -> None:
    """Re-chunk and re-embed only what changed in the source."""
    index(name, as_json)


@app.command("delete")
def delete(name: str, as_json: JsonOpt = False) -> None:
    """Delete a view with its versions and indexes."""
    s = state(as_json)
    s.client().views.delete(name)
    return print_json({"deleted": name}) if s.json else out.print(f"deleted view {name}")


def index(
    name: Annotated[str, typer.Argument(help="A view (or a dataset with one view).")],
    as_json: JsonOpt = False,
) -> None:
    """Bring a view's chunks, embeddings and indexes up to date with its source."""
    s = state(as_json)
    client = s.client()
    job = follow(client, client.views.sync(name, wait=False), as_json=s.json,
                 label=f"index {name}")
    if s.json:
        return print_json(job)
    r = job.result or {}
    if not r.get("changed"):
        return out.print(f"{r.get('view', name)} is up to date with its source")
    return out.print(f"{r['view']}@{r['version']}: {r['rows_rechunked']} rows re-chunked, "
                     f"{r['added']} chunks added, {r['removed']} removed")


def search(
    name: Annotated[str, typer.Argument(help="A view (or a dataset with one view).")],
    query: Annotated[str, typer.Argument(help="What to look for.")],
    mode: Annotated[SearchMode, typer.Option(help="text, vector or hybrid.")] =
        SearchMode.HYBRID,
    k: Annotated[int, typer.Option("-k", "--k", help="How many results.")] = 10,
    where: Annotated[str | None, typer.Option(
        help="SQL predicate on the source rows, e.g. \"year > 2020\".")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Search a view: full-text (BM25), vector, or both fused."""
    s = state(as_json)
    results = s.client().search(name, query, mode=mode.value, k=k, where=where)
    if s.json:
        return print_json(results)
    for hit in results.hits:
        _print_hit(hit)
    note = " (the source has newer versions: run `sluice index`)" if results.stale else ""
    out.print(f"[dim]{len(results.hits)} results from {results.view}@{results.view_version} "
              f"in {results.elapsed_ms:.1f} ms{note}[/dim]")
    return None


def _print_hit(hit: SearchHit) -> None:
    where = hit.source or f"{hit.dataset}:{hit.parent_key}"
    out.print(f"[bold]{hit.rank}.[/bold] {where}  [dim]{hit.heading}  "
              f"score {hit.score:.4f}[/dim]")
    text = Text(short(hit.text, 400))
    for start, end in hit.highlights:
        if end <= len(text.plain):
            text.stylize("bold yellow", start, end)
    out.print(text)


def _show(view: ViewInfo, as_json: bool) -> None:
    if as_json:
        return print_json(view)
    kv([("view", view.name), ("source", f"{view.source}.{view.column}"),
        ("chunks", view.chunks), ("version", view.version), ("synced", _synced(view)),
        ("chunking", f"{view.chunk_size} tokens, {view.chunk_overlap} overlap"),
        ("embedder", f"{view.embedder} ({view.dim} dims)"), ("vector index", view.index),
        ("auto sync", view.auto_sync)])
    return None


def _synced(view: ViewInfo) -> str:
    latest = view.source_latest
    mark = "" if not view.stale else f" (source at @{latest})"
    return f"@{view.source_version}{mark}"


eval_app = typer.Typer(no_args_is_help=True)


@eval_app.command("retrieval")
def eval_retrieval(
    path: Annotated[str, typer.Argument(help="A BEIR folder: corpus.jsonl, queries.jsonl, "
                                             "qrels/<split>.tsv.")],
    name: Annotated[str | None, typer.Option(help="Dataset name (default: folder name).")] =
        None,
    modes: Annotated[str, typer.Option(help="Comma-separated modes.")] = "text,vector,hybrid",
    chunk_size: Annotated[int, typer.Option(help="Tokens per chunk.")] = 256,
    split: Annotated[str, typer.Option(help="Which qrels file.")] = "test",
    as_json: JsonOpt = False,
) -> None:
    """nDCG@10, recall@100 and MRR of text, vector and hybrid search on a BEIR collection."""
    s = state(as_json)
    with progress_bar(f"eval {path}", quiet=s.json) as update:
        report = s.client().eval_retrieval(path, name=name, modes=modes.split(","),
                                           chunk_size=chunk_size, split=split,
                                           on_progress=update)
    if s.json:
        return print_json(report)
    table(f"{report.view}@{report.view_version}, {report.queries} queries",
          ["mode", "nDCG@10", "recall@100", "MRR", "ms/query"],
          [(r.mode, f"{r.ndcg_at_10:.4f}", f"{r.recall_at_100:.4f}", f"{r.mrr:.4f}",
            f"{r.mean_ms:.1f}") for r in report.scores])
    if report.truncated:
        out.print(f"{len(report.truncated)} over-long queries cut to the search limit: "
                  + _some(report.truncated))
    if report.skipped:
        out.print(f"{len(report.skipped)} queries search refused, scored 0: "
                  + _some(report.skipped))
    return None


def _some(ids: list[str], shown: int = 10) -> str:
    return ", ".join(ids[:shown]) + (f" and {len(ids) - shown} more" if len(ids) > shown else "")


@eval_app.command("rag")
def eval_rag(
    view: Annotated[str, typer.Argument(help="A view (or a dataset with one view).")],
    path: Annotated[str, typer.Argument(help="JSON lines: question, answer, source.")],
    k: Annotated[int, typer.Option("-k", "--k", help="Passages per question.")] = 4,
    max_tokens: Annotated[int, typer.Option(help="Longest answer, in tokens.")] = 64,
    style: Annotated[str | None, typer.Option(
        help="both, extract or generate (default: the ask_style setting).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Ask each question; score source hits and citations, answers (exact, contains, LLM
    judge), loops, cuts and the time to the first words."""
    s = state(as_json)
    with progress_bar(f"eval rag {view}", quiet=s.json) as update:
        report = s.client().eval_rag(view, path, k=k, max_tokens=max_tokens,
                                     on_progress=update, style=style)
    if s.json:
        return print_json(report)

    def pct(value: float | None) -> str:
        return "n/a" if value is None else f"{100 * value:.1f}%"

    kv([("view", report.view), ("questions", report.items), ("style", report.style),
        ("source hit rate", pct(report.hit_rate)), ("gold source cited",
        pct(report.cited_rate)), ("exact", pct(report.exact)), ("contains (shown)",
        pct(report.contains)), ("contains (answer)", pct(report.answer_contains)),
        ("contains (extract)", pct(report.extract_contains)), ("LLM judge",
        pct(report.judge)), ("looped", pct(report.looped)), ("cut", pct(report.cut)),
        ("first words", f"{report.first_ms_median:.0f} ms (median)"),
        ("model", f"{report.llm} · {report.prompt}"), ("trace", report.trace_id)])
    return None


def add_commands(root: typer.Typer) -> None:
    root.add_typer(app, name="views", help="Chunk views with embeddings for search.")
    root.command()(index)
    root.command()(search)
    root.add_typer(eval_app, name="eval", help="Measure retrieval (and answer) quality.")
