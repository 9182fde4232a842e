"""``sluice experiments ...`` and ``sluice runs list|show|compare|metrics|artifacts|get``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from sluice.cli.main import JsonOpt, state
from sluice.cli.output import kv, out, print_json, short, table
from sluice.core.tracking import Run

experiments_app = typer.Typer(no_args_is_help=True)
runs_app = typer.Typer(no_args_is_help=True)


def when(ms: int | None) -> str:
    if not ms:
        return ""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")


@experiments_app.command("list")
def list_experiments(as_json: JsonOpt = False) -> None:
    """The project's experiments."""
    s = state(as_json)
    found = s.client().experiments.list()
    if s.json:
        return print_json(found)
    table("Experiments", ["id", "name", "created"],
          [(e.id, e.name, when(e.created_ms)) for e in found])
    return None


@experiments_app.command("create")
def create_experiment(name: str, as_json: JsonOpt = False) -> None:
    """A new experiment."""
    s = state(as_json)
    exp = s.client().experiments.create(name)
    return print_json(exp) if s.json else out.print(f"experiment {exp.name} (id {exp.id})")


@experiments_app.command("delete")
def delete_experiment(ref: str, as_json: JsonOpt = False) -> None:
    """Move an experiment and its runs to the trash (`restore` brings it back)."""
    s = state(as_json)
    exp = s.client().experiments.delete(ref)
    return print_json(exp) if s.json else out.print(f"experiment {exp.name} deleted")


@experiments_app.command("restore")
def restore_experiment(ref: str, as_json: JsonOpt = False) -> None:
    """Bring a deleted experiment back."""
    s = state(as_json)
    exp = s.client().experiments.restore(ref)
    return print_json(exp) if s.json else out.print(f"experiment {exp.name} restored")


@runs_app.command("list")
def list_runs(
    experiment: Annotated[list[str] | None, typer.Option(
        "--experiment", "-e", help="Experiment id or name (repeatable); all by default.")] = None,
    filter: Annotated[str | None, typer.Option(
        "--filter", "-f", help="MLflow filter, e.g. \"metrics.acc > 0.9 and params.lr = '0.1'\"")]
    = None,
    order_by: Annotated[list[str] | None, typer.Option(
        "--order-by", "-o", help="e.g. 'metrics.acc DESC' (repeatable).")] = None,
    limit: Annotated[int, typer.Option(help="Most runs to show.")] = 50,
    as_json: JsonOpt = False,
) -> None:
    """Runs matching a filter, with their params and latest metrics."""
    s = state(as_json)
    page = s.client().runs.search(experiment, filter=filter, order_by=order_by,
                                  max_results=limit)
    if s.json:
        return print_json(page)
    metric_keys = sorted({k for r in page.runs for k in r.metrics})[:6]
    param_keys = sorted({k for r in page.runs for k in r.params})[:4]
    table("Runs", ["id", "name", "status", "started", *metric_keys, *param_keys],
          [(r.id, short(r.name, 24), r.status.value, when(r.start_ms),
            *[_fmt(r.metrics[k].value) if k in r.metrics else "" for k in metric_keys],
            *[r.params.get(k, "") for k in param_keys]) for r in page.runs])
    return None


@runs_app.command("show")
def show_run(run_id: str, as_json: JsonOpt = False) -> None:
    """One run: status, params, latest metrics, tags, inputs, outputs."""
    s = state(as_json)
    run = s.client().runs.get(run_id)
    if s.json:
        return print_json(run)
    _show(run)
    return None


def _show(run: Run) -> None:
    kv([("run", f"{run.name} ({run.id})"), ("experiment", run.experiment_id),
        ("status", run.status.value), ("user", run.user), ("started", when(run.start_ms)),
        ("ended", when(run.end_ms)), ("parent", run.parent_id)])
    table("Params", ["name", "value"], sorted(run.params.items()))
    table("Metrics (latest)", ["name", "value", "step"],
          [(k, _fmt(m.value), m.step) for k, m in sorted(run.metrics.items())])
    tags = [(k, short(v, 70)) for k, v in sorted(run.tags.items())
            if not k.startswith("mlflow.")]
    if tags:
        table("Tags", ["name", "value"], tags)
    if run.inputs:
        table("Inputs", ["dataset", "source", "context"],
              [(i.name, i.source, i.context) for i in run.inputs])


@runs_app.command("compare")
def compare_runs(run_ids: Annotated[list[str], typer.Argument(help="Two or more run ids.")],
                 as_json: JsonOpt = False) -> None:
    """Runs side by side: params that differ, then latest metrics."""
    s = state(as_json)
    result = s.client().runs.compare(run_ids)
    if s.json:
        return print_json(result)
    names = [r.name for r in result.runs]
    ids = [r.id for r in result.runs]
    table("Params that differ", ["param", *names],
          [(k, *[result.params[k][i] or "" for i in ids]) for k in result.differing_params])
    table("Metrics", ["metric", *names],
          [(k, *[_fmt(v) if (v := result.metrics[k][i]) is not None else "" for i in ids])
           for k in result.metrics])
    return None


@runs_app.command("metrics")
def metric_history(run_id: str, key: str, as_json: JsonOpt = False) -> None:
    """Every value of one metric, by step."""
    s = state(as_json)
    history = s.client().runs.history(run_id, key)
    if s.json:
        return print_json(history)
    table(key, ["step", "value", "time"], [(m.step, _fmt(m.value), when(m.timestamp))
                                            for m in history])
    return None


@runs_app.command("artifacts")
def list_artifacts(run_id: str, path: Annotated[str, typer.Argument()] = "",
                   as_json: JsonOpt = False) -> None:
    """Files and folders under a path of the run's artifacts."""
    s = state(as_json)
    entries = s.client().runs.artifacts(run_id, path)
    if s.json:
        return print_json(entries)
    table("Artifacts", ["path", "size"],
          [(e.path + ("/" if e.is_dir else ""), e.size) for e in entries])
    return None


@runs_app.command("get")
def get_artifact(run_id: str, path: str,
                 dest: Annotated[Path | None, typer.Option(help="Where to write it.")] = None,
                 as_json: JsonOpt = False) -> None:
    """Download one artifact file (streamed)."""
    s = state(as_json)
    target = dest or Path(path.rsplit("/", 1)[-1])
    written = s.client().runs.download_artifact(run_id, path, target)
    info = {"path": str(written), "bytes": written.stat().st_size}
    return print_json(info) if s.json else out.print(f"wrote {info['bytes']} bytes to {written}")


def _fmt(value: float) -> str:
    return f"{value:.6g}"


def add_commands(root: typer.Typer) -> None:
    root.add_typer(experiments_app, name="experiments",
                   help="List and create experiments.")
    root.add_typer(runs_app, name="runs",
                   help="List, show and compare tracked runs; their metrics and artifacts.")
