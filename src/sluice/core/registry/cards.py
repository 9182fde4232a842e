"""Where a version's files live, and its model card: what it is, how it was made, from
which data, and where it is safe to use."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from sluice.core.lineage.models import NodeKind
from sluice.core.registry.loading import SAFE_FORMATS, detect_format
from sluice.core.registry.models import ModelCard, ModelVersion
from sluice.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from sluice.core.context import Ctx
    from sluice.core.lineage.service import LineageService
    from sluice.core.tracking.service import TrackingService


def artifact_root(tracking: TrackingService, ctx: Ctx, version: ModelVersion) -> str:
    """The artifact path under which the version's model files are stored."""
    if version.logged_model_id:
        return tracking.models.get(ctx, version.logged_model_id).artifact_root
    source = version.source
    run = re.match(r"^runs:/([0-9a-f]{32})/?(.*)$", source)
    if run:
        found = tracking.runs.get(ctx, run.group(1))
        return f"{found.artifact_root}/{run.group(2)}".rstrip("/")
    if source.startswith("mlflow-artifacts:/"):
        return source.removeprefix("mlflow-artifacts:/").strip("/")
    raise InvalidInput(f"model source {source!r} is not stored in Sluice",
                       code="external_model_source")


def build_card(tracking: TrackingService, lineage: LineageService, ctx: Ctx,
               version: ModelVersion, description: str) -> ModelCard:
    root = artifact_root(tracking, ctx, version)
    files = [f.path for f in tracking.artifacts.files(ctx, root)]
    fmt = detect_format(files)
    run_id = version.run_id or (tracking.models.get(ctx, version.logged_model_id).source_run_id
                                if version.logged_model_id else None)
    card = ModelCard(name=version.name, version=version.version,
                     description=version.description or description,
                     intended_use=version.tags.get("intended_use", "")
                     or "not stated: set the version tag `intended_use`",
                     format=fmt, safe_format=fmt in SAFE_FORMATS, aliases=version.aliases,
                     files=files)
    if run_id:
        _add_run(tracking, ctx, card, run_id)
    _add_lineage(lineage, ctx, card)
    card.markdown = render(card)
    return card


def _add_run(tracking: TrackingService, ctx: Ctx, card: ModelCard, run_id: str) -> None:
    run = tracking.runs.get(ctx, run_id)
    exp = tracking.experiments.get(ctx, run.experiment_id)
    card.run = {"id": run.id, "name": run.name, "experiment": exp.name,
                "status": run.status.value, "user": run.user}
    card.params = dict(run.params)
    card.metrics = {k: m.value for k, m in run.metrics.items()}
    card.datasets = [i.model_dump() for i in run.inputs]
    sources: set[str] = set()
    for item in run.inputs:
        sources.update(item.details.get("label_sources", []))
    card.label_sources = sorted(sources)
    card.lineage = [{"kind": "experiment", "name": exp.name, "url": f"/experiments/{exp.id}"}]


def _add_lineage(lineage: LineageService, ctx: Ctx, card: ModelCard) -> None:
    """What the version came from, nearest first, as the lineage graph records it: the run,
    the data it trained on, their label sets and source files."""
    try:
        graph = lineage.graph(ctx, f"model:{card.name}/{card.version}", depth=12, limit=200)
    except NotFound:  # made before the event log existed
        return
    upstream = sorted((n for n in graph.nodes if n.depth < 0), key=lambda n: -n.depth)
    card.lineage += [{"kind": n.kind.value.replace("_", " "), "name": n.label, "url": n.href}
                     for n in upstream]
    if card.label_sources:  # the run logged them with its inputs; otherwise the graph
        return
    sources: set[str] = set()
    for labels in graph.of_kind(NodeKind.LABELS):
        sources.update(f"person:{a}" for a in labels.attrs.get("annotators", []))
        sources.update(f"function:{f}" for f in labels.attrs.get("functions", []))
        if labels.attrs.get("label_model"):
            sources.add("label model")
    card.label_sources = sorted(sources)


def render(card: ModelCard) -> str:
    lines = [f"# {card.name} v{card.version}", "", card.description or "_No description._",
             "", "## Intended use", "", card.intended_use, "", "## Format", "",
             f"{card.format} ({'safe to load' if card.safe_format else 'NOT a safe format'})"]
    if card.aliases:
        lines += ["", "Aliases: " + ", ".join(f"@{a}" for a in card.aliases)]
    if card.run:
        lines += ["", "## Training run", "",
                  f"{card.run['name']} ({card.run['id']}) in experiment "
                  f"{card.run['experiment']}, by {card.run['user']}"]
    lines += _table("Metrics", card.metrics) + _table("Parameters", card.params)
    if card.datasets:
        lines += ["", "## Training data", ""]
        lines += [f"- {d['name']} ({d['source'] or d['source_type']}) {d['context']}".rstrip()
                  for d in card.datasets]
    lines += ["", "## Label sources", "",
              ", ".join(card.label_sources) if card.label_sources else "none recorded"]
    return "\n".join(lines) + "\n"


def _table(title: str, values: dict[str, Any]) -> list[str]:
    if not values:
        return []
    rows = [f"| {k} | {v:.6g} |" if isinstance(v, float) else f"| {k} | {v} |"
            for k, v in sorted(values.items())]
    return ["", f"## {title}", "", "| name | value |", "|---|---|", *rows]
