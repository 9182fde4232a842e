"""``sluice train DATASET@V --target COL``, ``sluice finetune DATASET@V``, and
``sluice training list|show|register|cancel``."""

from __future__ import annotations

from datetime import UTC
from typing import Annotated, Any

import typer
from rich.live import Live
from rich.table import Table

from sluice.cli.main import JsonOpt, state
from sluice.cli.output import err, kv, out, print_json, table
from sluice.cli.progress import progress_bar
from sluice.core.jobs import JobInfo, JobState
from sluice.core.training import Finetuning, Training
from sluice.sdk.api import Client

app = typer.Typer(no_args_is_help=True)
SHOWN = 10  # leaderboard rows in the terminal


def train(
    dataset: Annotated[str, typer.Argument(help="NAME@N, or NAME for the latest version")],
    target: Annotated[str, typer.Option("--target", "-t", help="The column to predict.")],
    budget: Annotated[float, typer.Option(help="Seconds the search may take.")] = 60.0,
    task: Annotated[str | None, typer.Option(
        help="binary, multiclass or regression (detected when left out).")] = None,
    columns: Annotated[str | None, typer.Option(
        help="Comma-separated columns to learn from (every usable one by default).")] = None,
    time_column: Annotated[str | None, typer.Option(
        help="Validate on later rows than the ones trained on, ordered by this column.")
    ] = None,
    weight_column: Annotated[str | None, typer.Option(
        help="Row weights, e.g. weak_<schema>_confidence.")] = None,
    check_column: Annotated[str | None, typer.Option(
        help="People's labels: rows that have one are held out and scored.")] = None,
    folds: Annotated[int | None, typer.Option(
        help="Cross-validation folds (2-10), or 1 for one holdout (default: 3 folds when "
             "the data is small for the budget, else a holdout).")] = None,
    experiment: Annotated[str | None, typer.Option(
        help="Experiment of the runs (train-<dataset> by default).")] = None,
    register: Annotated[str | None, typer.Option(
        help="Register the best model under this name.")] = None,
    seed: Annotated[int, typer.Option(help="Random seed of the search and folds.")] = 0,
    as_json: JsonOpt = False,
) -> None:
    """Find the best model for a column of a dataset version, under a time budget."""
    s = state(as_json)
    client = s.client()
    started = client.training.train(
        dataset, target, task=task, budget=budget, folds=folds, seed=seed,
        columns=[c.strip() for c in columns.split(",") if c.strip()] if columns else None,
        time_column=time_column, weight_column=weight_column, check_column=check_column,
        experiment=experiment, register=register, wait=False)
    final = _follow(client, started, quiet=s.json)
    if s.json:
        return print_json(final)
    return _show(final)


def _follow(client: Client, training: Training, *, quiet: bool) -> Training:
    """Wait for the job with a live leaderboard on stderr; Ctrl-C cancels it."""
    try:
        if quiet:
            return client.training.wait(training.id)
        with Live(_board(training), console=err, refresh_per_second=4) as live:
            return client.training.wait(training.id,
                                        on_progress=lambda t: live.update(_board(t)))
    except KeyboardInterrupt:
        err.print("cancelling…")
        client.training.cancel(training.id)
        return client.training.wait(training.id, timeout=60)


def _board(training: Training) -> Table:
    percent = f" {training.fraction:.0%}" if training.fraction is not None else ""
    t = Table(title=f"training {training.id} · {training.state}{percent} · "
                    f"{training.message}", header_style="bold")
    for col in ("#", "family", "state", training.metric or "score", "rounds", "seconds"):
        t.add_column(col)
    for e in training.leaderboard[:SHOWN]:
        t.add_row(str(e.number), e.family, e.state, _num(e.score), str(e.rounds or ""),
                  f"{e.seconds:.1f}")
    return t


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def _show(training: Training) -> None:
    kv([("job", training.id), ("state", training.state), ("run", training.run_id)])
    r = training.result
    if r is not None:
        kv([("task", r.task.value), ("rows", f"{r.rows:,}"),
            (f"best {r.metric}", f"{_num(r.best.score)} ({r.best.family})"),
            ("LightGBM defaults", _num(r.default_score)),
            ("trials", f"{r.trials} ({r.pruned} pruned, {r.failed} failed)"),
            ("seconds", f"{r.seconds:.1f}"), ("model", r.model_uri)])
        if r.check is not None:
            kv([(f"check on {r.check.column}",
                 f"{r.check.metric} {r.check.score:.4f} on {r.check.rows:,} rows")])
        if r.registered:
            kv([("registered", f"{r.registered['name']} v{r.registered['version']}")])
    if training.leaderboard:
        table("Leaderboard", ["#", "family", "state", training.metric or "score", "rounds",
                              "seconds", "note"],
              [(e.number, e.family, e.state, _num(e.score), e.rounds or "",
                f"{e.seconds:.1f}", e.note) for e in training.leaderboard[:SHOWN]])


@app.command("list")
def list_training(as_json: JsonOpt = False,
                  limit: Annotated[int, typer.Option(help="How many.")] = 20) -> None:
    """Recent training jobs."""
    s = state(as_json)
    found = s.client().training.list(limit=limit)
    if s.json:
        return print_json(found)
    return table("Training", ["job", "state", "dataset", "target", "best", "message"], [
        (t.id, t.state, t.request.dataset, t.request.target,
         _num(t.result.best.score) if t.result else "", t.message) for t in found])


@app.command()
def show(job_id: str, as_json: JsonOpt = False,
         report: Annotated[bool, typer.Option(help="Print the report too.")] = False) -> None:
    """A training job: its result and leaderboard."""
    s = state(as_json)
    training = s.client().training.get(job_id)
    if s.json:
        return print_json(training)
    _show(training)
    if report and training.result is not None:
        out.print(training.result.report, markup=False, highlight=False)
    return None


@app.command("register")
def register_best(job_id: str, name: str, as_json: JsonOpt = False,
                  description: Annotated[str, typer.Option(help="Description.")] = "") -> None:
    """Register the best model of a finished training job."""
    s = state(as_json)
    version = s.client().training.register(job_id, name, description=description)
    if s.json:
        return print_json(version)
    return out.print(f"registered {version.name} v{version.version}")


@app.command()
def merge(adapter: Annotated[str, typer.Argument(help="A registered LoRA adapter: "
                                                     "NAME@ALIAS or NAME/VERSION.")],
          name: Annotated[str, typer.Argument(help="Register the merged model as a version "
                                                  "of this model.")],
          as_json: JsonOpt = False,
          description: Annotated[str, typer.Option(help="Description.")] = "") -> None:
    """Merge a fine-tuned adapter into its base model and register the whole model; then
    `sluice ask VIEW QUESTION --model NAME@ALIAS` uses it."""
    s = state(as_json)
    with err.status("merging the adapter into its base"):
        version = s.client().training.merge(adapter, name, description=description)
    if s.json:
        return print_json(version)
    return out.print(f"registered {version.name} v{version.version} (merged)")


@app.command()
def cancel(job_id: str, as_json: JsonOpt = False) -> None:
    """Ask a training job to stop."""
    s = state(as_json)
    training: Any = s.client().training.cancel(job_id)
    if s.json:
        return print_json(training)
    return out.print(f"{training.id}: {training.state}, cancel asked")


def finetune(
    dataset: Annotated[str, typer.Argument(help="NAME@N, or NAME for the latest version")],
    prompt_column: Annotated[str, typer.Option(help="The prompts' column.")] = "prompt",
    response_column: Annotated[str, typer.Option(help="The responses' column.")] = "response",
    messages_column: Annotated[str | None, typer.Option(
        help="Instead: a column of chat conversations (lists of {role, content}).")] = None,
    base: Annotated[str, typer.Option(
        help="smollm2 (bundled) or a local Hugging Face model folder.")] = "smollm2",
    steps: Annotated[int | None, typer.Option(
        help="Optimizer steps (one pass over the pairs by default).")] = None,
    batch_size: Annotated[int, typer.Option(help="Pairs per step.")] = 4,
    max_length: Annotated[int, typer.Option(help="Tokens per pair at most.")] = 256,
    learning_rate: Annotated[float, typer.Option(help="AdamW learning rate.")] = 2e-4,
    rank: Annotated[int, typer.Option(help="LoRA rank.")] = 8,
    register: Annotated[str | None, typer.Option(
        help="Register the adapter under this name.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Train a LoRA adapter on a dataset version's prompt/response pairs (or its chat
    conversations, with --messages-column)."""
    s = state(as_json)
    client = s.client()
    started = client.training.finetune(
        dataset, prompt_column=prompt_column, response_column=response_column, base=base,
        steps=steps, batch_size=batch_size, max_length=max_length,
        learning_rate=learning_rate, rank=rank, register=register, wait=False,
        messages_column=messages_column)
    try:
        with progress_bar(f"finetune {dataset}", quiet=s.json) as update:
            final = client.training.wait_finetune(started.id,
                                                  on_progress=lambda f: update(_as_job(f)))
    except KeyboardInterrupt:
        err.print("cancelling…")
        client.jobs.cancel(started.id)
        raise
    if s.json:
        return print_json(final)
    return _show_finetune(final)


def _as_job(f: Finetuning) -> JobInfo:
    """What the progress bar reads of a job."""
    from datetime import datetime

    total = 1.0 if f.fraction is not None else None
    return JobInfo(id=f.id, kind="training.finetune", state=JobState(f.state), params={},
                   progress_done=f.fraction or 0.0, progress_total=total, message=f.message,
                   result=None, error=None, created_at=datetime.now(UTC),
                   created_by="", started_at=None, finished_at=None, heartbeat_at=None,
                   worker=None, attempts=0, cancel_requested=False)


def _show_finetune(f: Finetuning) -> None:
    r = f.result
    kv([("job", f.id), ("state", f.state), ("run", f.run_id)])
    if r is None:
        return
    kv([("base", r.base), ("pairs", f"{r.pairs:,} (+{r.eval_pairs:,} held out)"),
        ("steps", r.steps), ("tokens/s", f"{r.tokens_per_second:,.0f}"),
        ("adapter", r.adapter_uri)])
    rows = [(name, f"{m.loss:.4f}", f"{m.perplexity:.2f}",
             "" if m.contains is None else f"{m.contains:.0%}")
            for name, m in (("before", r.before), ("after", r.after)) if m is not None]
    if rows:
        table("Held-out pairs", ["", "loss", "perplexity", "answer contains"], rows)
    if r.registered:
        kv([("registered", f"{r.registered['name']} v{r.registered['version']}")])


def add_commands(root: typer.Typer) -> None:
    root.command()(train)
    root.command()(finetune)
    root.add_typer(app, name="training",
                   help="Training jobs: list, show, register the best model, cancel.")
