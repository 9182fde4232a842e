"""``sluice models list|show|register|tag|alias|unalias|history|card|predict``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from sluice.cli.commands.tracking import when
from sluice.cli.main import JsonOpt, state
from sluice.cli.output import kv, out, print_json, table
from sluice.errors import InvalidInput

app = typer.Typer(no_args_is_help=True)


@app.command("list")
def list_models(as_json: JsonOpt = False) -> None:
    """Registered models with their aliases."""
    s = state(as_json)
    models = s.client().models.list()
    if s.json:
        return print_json(models)
    table("Models", ["name", "latest", "aliases", "updated"],
          [(m.name, m.latest_version, _aliases(m.aliases), when(m.updated_ms)) for m in models])
    return None


@app.command("show")
def show_model(name: str, as_json: JsonOpt = False) -> None:
    """A model and its versions."""
    s = state(as_json)
    client = s.client()
    model, versions = client.models.get(name), client.models.versions(name)
    if s.json:
        return print_json({"model": model, "versions": versions})
    kv([("model", model.name), ("description", model.description),
        ("aliases", _aliases(model.aliases)), ("created by", model.created_by)])
    table("Versions", ["version", "aliases", "source", "run", "created", "by"],
          [(v.version, ", ".join(f"@{a}" for a in v.aliases), v.source, v.run_id,
            when(v.created_ms), v.created_by) for v in versions])
    return None


@app.command("register")
def register(name: str,
             source: Annotated[str, typer.Argument(
                 help="runs:/<run id>/<path> or models:/<logged model id>")],
             description: str = "", as_json: JsonOpt = False) -> None:
    """Add a version to a model (creating the model on first use)."""
    s = state(as_json)
    version = s.client().models.register(name, source, description=description)
    return print_json(version) if s.json else out.print(f"{name} version {version.version}")


@app.command("tag")
def tag(name: str,
        tags: Annotated[list[str] | None, typer.Argument(help="KEY=VALUE pairs.")] = None,
        version: Annotated[int | None, typer.Option(help="Tag this version.")] = None,
        description: Annotated[str | None, typer.Option(help="Replace the description.")]
        = None, as_json: JsonOpt = False) -> None:
    """Set tags (merged into the existing ones) and the description of a model or one of
    its versions."""
    from sluice.errors import InvalidInput

    pairs = [t.partition("=") for t in tags or []]
    if any(not key or not sep for key, sep, _ in pairs):
        raise InvalidInput("tags are KEY=VALUE pairs", code="invalid_tag")
    s = state(as_json)
    result = s.client().models.update(name, description=description,
                                      tags={k: v for k, _, v in pairs}, version=version)
    if s.json:
        return print_json(result)
    target = f"{name} version {version}" if version is not None else name
    out.print(f"{target}: " + (", ".join(f"{k}={v}" for k, v in result.tags.items())
                               or "no tags"))
    return None


@app.command("alias")
def set_alias(name: str, alias: str, version: int, as_json: JsonOpt = False) -> None:
    """Point @ALIAS (e.g. production) at a version; the move is recorded."""
    s = state(as_json)
    result = s.client().models.set_alias(name, alias.lstrip("@"), version)
    if s.json:
        return print_json(result)
    out.print(f"{name}@{alias.lstrip('@')} -> version {result.version}")
    return None


@app.command("unalias")
def delete_alias(name: str, alias: str, as_json: JsonOpt = False) -> None:
    """Remove an alias (recorded too)."""
    s = state(as_json)
    s.client().models.delete_alias(name, alias.lstrip("@"))
    info = {"name": name, "alias": alias.lstrip("@"), "deleted": True}
    return print_json(info) if s.json else out.print(f"removed {name}@{info['alias']}")


@app.command("history")
def alias_history(name: str, as_json: JsonOpt = False) -> None:
    """Every alias move: who, when, from, to."""
    s = state(as_json)
    changes = s.client().models.alias_history(name)
    if s.json:
        return print_json(changes)
    table("Alias history", ["when", "who", "alias", "from", "to"],
          [(c.at[:19], c.actor, c.alias, c.from_version, c.to_version) for c in changes])
    return None


@app.command("card")
def card(name: str, version: Annotated[str, typer.Option(
        help="Version number, latest or @alias.")] = "latest", as_json: JsonOpt = False) -> None:
    """The model card (Markdown): metrics, params, data, label sources, intended use."""
    s = state(as_json)
    result = s.client().models.card(name, version)
    if s.json:
        return print_json(result)
    from rich.markdown import Markdown

    out.print(Markdown(result.markdown))
    return None


def _aliases(aliases: dict[str, int]) -> str:
    return ", ".join(f"@{a}={v}" for a, v in sorted(aliases.items()))


@app.command("predict")
def predict(name: str,
            inputs: Annotated[str, typer.Argument(
                help="Rows of features as JSON (a list of lists), or @FILE holding it.")],
            version: Annotated[str, typer.Option(
                "--version", help="A number, latest, or an alias.")] = "latest",
            as_json: JsonOpt = False) -> None:
    """Predict with a model version (where the workspace or server runs)."""
    s = state(as_json)
    rows = read_json_arg(inputs)
    result = s.client().models.predict(name, rows, ref=version)
    if s.json:
        return print_json(result)
    out.print(f"{result.name} version {result.version} ({result.format})")
    table("Predictions", ["row", "prediction"], enumerate(result.predictions))
    return None


def read_json_arg(text: str) -> Any:
    """JSON given inline, or read from the file named after ``@``."""
    if text.startswith("@"):
        try:
            text = Path(text[1:]).read_text(encoding="utf-8")
        except OSError as exc:
            raise InvalidInput(f"cannot read {text[1:]}: {exc.strerror}",
                               code="file_not_readable") from exc
    try:
        return json.loads(text)
    except ValueError as exc:
        raise InvalidInput(f"inputs are not JSON: {exc}", code="invalid_json") from exc


def add_commands(root: typer.Typer) -> None:
    root.add_typer(app, name="models",
                   help="The model registry: versions, aliases, history, model cards.")
