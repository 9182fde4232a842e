"""Labeling pages: schemas, the annotation page (keyboard-driven, the next items already
loaded), agreement with the review of disagreements."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse
from markupsafe import escape

from sluice.api.deps import PlatformDep
from sluice.api.policy import policy
from sluice.core.labels import CURVE_STRATEGIES, QUEUE_ORDERS, Answer, SchemaKind, config_from_rule
from sluice.errors import SluiceError
from sluice.web.charts import line_chart
from sluice.web.session import WebCtx
from sluice.web.templating import markdown
from sluice.web.twin import twin

router = APIRouter(include_in_schema=False)


@twin(router, "/label", "label_schemas.html")
def schemas_page(request: Request, ctx: WebCtx, platform: PlatformDep) -> dict[str, Any]:
    schemas = platform.labels.schemas(ctx)
    datasets = [d.name for d in platform.datasets.list(ctx) if d.latest is not None]
    return {"title": "Labeling", "schemas": schemas, "datasets": datasets,
            "text_columns": {d: platform.labels.text_columns(ctx, d)
                             for d in sorted({x.dataset for x in schemas})},
            "columns": {d: _column_previews(ctx, platform, d)
                        for d in datasets[:PREVIEW_DATASETS]}}


PREVIEW_DATASETS = 100  # datasets whose text columns the new-schema form previews
PREVIEW_ROWS = 3
PREVIEW_CHARS = 160


def _column_previews(ctx: Any, platform: Any, dataset: str) -> list[dict[str, Any]]:
    """The columns a schema on ``dataset`` can label (the default first), each with the
    start of its first few values, so a person sees what annotators will read."""
    columns = platform.labels.text_columns(ctx, dataset)
    if not columns:
        return []
    page = platform.datasets.rows(ctx, dataset, limit=PREVIEW_ROWS, columns=columns)
    return [{"name": c, "preview": [str(row.get(c) or "")[:PREVIEW_CHARS] for row in page.rows]}
            for c in columns]


@router.post("/label")
def create_schema(ctx: WebCtx, platform: PlatformDep, dataset: Annotated[str, Form()],
                  name: Annotated[str, Form()], classes: Annotated[str, Form()],
                  kind: Annotated[SchemaKind, Form()] = SchemaKind.SINGLE,
                  overlap: Annotated[int, Form()] = 1,
                  column: Annotated[str | None, Form()] = None) -> RedirectResponse:
    platform.labels.create_schema(ctx, dataset, name,
                                  [c for c in classes.split(",") if c.strip()], kind=kind,
                                  overlap=overlap, column=column or None)
    return RedirectResponse(f"/label/{quote(dataset, safe='')}/{quote(name, safe='')}",
                            status_code=303)


@router.post("/label/{dataset}/{schema}/column", openapi_extra=policy(permission="labels.write"))
def set_column(ctx: WebCtx, platform: PlatformDep, dataset: str, schema: str,
               column: Annotated[str, Form()]) -> RedirectResponse:
    platform.labels.set_column(ctx, dataset, schema, column)
    return RedirectResponse("/label", status_code=303)


@twin(router, "/label/{dataset}/{schema}", "annotate.html")
def annotate_page(request: Request, dataset: str, schema: str, ctx: WebCtx,
                  platform: PlatformDep, limit: int = 20,
                  order: str = "sequential") -> dict[str, Any]:
    """The page and, as JSON, the caller's next items (the page fetches more from it);
    ``order`` may be an active-learning strategy (uncertainty, margin, entropy, diversity)."""
    found = platform.labels.schema(ctx, dataset, schema)
    queue = platform.labels.queue(ctx, dataset, schema, limit=limit, order=order)
    rendered = {item.key: _render(found.kind, item.text) for item in queue.items}
    return {"title": f"Label {dataset}: {schema}", "dataset": dataset, "schema": found,
            "queue": queue, "rendered": rendered, "order": order,
            "orders": list(QUEUE_ORDERS)}


@router.post("/label/{dataset}/{schema}/answer", openapi_extra=policy(permission="labels.annotate"))
def answer(dataset: str, schema: str, body: Answer, ctx: WebCtx,
           platform: PlatformDep) -> JSONResponse:
    return _as_json(lambda: platform.labels.annotate(
        ctx, dataset, schema, body.key, label=body.label, labels=body.labels,
        spans=body.spans, skip=body.skip).model_dump(mode="json"), status=201)


@router.post("/label/{dataset}/{schema}/finish", openapi_extra=policy(permission="labels.annotate"))
def finish(dataset: str, schema: str, ctx: WebCtx, platform: PlatformDep) -> JSONResponse:
    """End the labeling session: people's labels go into a new dataset version."""
    def run() -> dict[str, Any]:
        made = platform.labels.finish_session(ctx, dataset, schema)
        return {"version": made.number if made else None, "ref": made.ref if made else None}

    return _as_json(run)


@router.post("/label/{dataset}/{schema}/undo", openapi_extra=policy(permission="labels.annotate"))
def undo(dataset: str, schema: str, ctx: WebCtx, platform: PlatformDep) -> JSONResponse:
    return _as_json(lambda: platform.labels.undo(ctx, dataset, schema).model_dump(mode="json"))


def _as_json(call: Callable[[], Any], status: int = 200) -> JSONResponse:
    """What the page's scripts fetch: the result, or the error payload with its status."""
    try:
        result = call()
    except SluiceError as exc:
        return JSONResponse(exc.to_payload(), status_code=exc.http_status)
    return JSONResponse(result, status_code=status)


@twin(router, "/label/{dataset}/{schema}/agreement", "agreement.html")
def agreement_page(request: Request, dataset: str, schema: str, ctx: WebCtx,
                   platform: PlatformDep) -> dict[str, Any]:
    """Agreement and the review of items people disagree on."""
    result = platform.labels.agreement(ctx, dataset, schema)
    resolved = {k: _shown(v) for k, v in
                platform.labels.resolved_values(ctx, dataset, schema).items()}
    texts = {}
    if result.disagreements:
        column = platform.labels.schema(ctx, dataset, schema).column
        for item in result.disagreements[:200]:
            texts[item["key"]] = str(platform.datasets.row(ctx, dataset, item["key"])
                                     .get(column) or "")
    return {"title": f"Agreement: {dataset} {schema}", "dataset": dataset,
            "schema": platform.labels.schema(ctx, dataset, schema), "agreement": result,
            "resolved": resolved, "texts": texts}


@router.post("/label/{dataset}/{schema}/resolve", openapi_extra=policy(permission="labels.review"))
def resolve(dataset: str, schema: str, ctx: WebCtx, platform: PlatformDep,
            key: Annotated[str, Form()], label: Annotated[str | None, Form()] = None,
            adopt: Annotated[str | None, Form()] = None,
            back: Annotated[str, Form()] = "agreement") -> RedirectResponse:
    platform.labels.resolve(ctx, dataset, schema, key, label, adopt=adopt)
    page = "issues" if back == "issues" else "agreement"
    return RedirectResponse(f"/label/{quote(dataset, safe='')}/{quote(schema, safe='')}"
                            f"/{page}", status_code=303)


@twin(router, "/label/{dataset}/{schema}/issues", "label_issues.html")
def issues_page(request: Request, dataset: str, schema: str, ctx: WebCtx,
                platform: PlatformDep) -> dict[str, Any]:
    """The review queue of likely label errors (confident learning)."""
    found = platform.labels.schema(ctx, dataset, schema)
    try:
        issues = platform.labels.label_issues(ctx, dataset, schema)
        error = None
    except SluiceError as exc:
        issues, error = None, exc.message
    return {"title": f"Likely label errors: {dataset} {schema}", "dataset": dataset,
            "schema": found, "issues": issues, "error": error}


@twin(router, "/label/{dataset}/{schema}/curve", "label_curve.html")
def curve_page(request: Request, dataset: str, schema: str, ctx: WebCtx,
               platform: PlatformDep, strategy: str = "uncertainty",
               batch: int = 10) -> dict[str, Any]:
    """Accuracy against labels: an active-learning strategy vs random order, replayed
    with people's labels."""
    found = platform.labels.schema(ctx, dataset, schema)
    try:
        result = platform.labels.learning_curve(ctx, dataset, schema, strategy=strategy,
                                                batch=batch)
        error = None
    except SluiceError as exc:
        result, error = None, exc.message
    chart = line_chart({strategy: [(n, a) for n, a in result.curve],
                        "random order": [(n, a) for n, a in result.random]},
                       x_title="labels", y_title="accuracy") \
        if result else None
    return {"title": f"Learning curve: {dataset} {schema}", "dataset": dataset,
            "schema": found, "curve": result, "error": error, "chart": chart,
            "strategy": strategy, "strategies": list(CURVE_STRATEGIES)}


@twin(router, "/label/{dataset}/{schema}/functions", "label_functions.html")
def functions_page(request: Request, dataset: str, schema: str, ctx: WebCtx,
                   platform: PlatformDep) -> dict[str, Any]:
    """Labeling functions with their analysis table; make no-code ones in the page."""
    found = platform.labels.schema(ctx, dataset, schema)
    functions = platform.labels.functions.list(ctx, dataset, schema)
    report = platform.labels.functions.analysis(ctx, dataset, schema)
    model = (platform.labels.functions.label_model(ctx, dataset, schema)
             if functions else None)
    return {"title": f"Labeling functions: {dataset} {schema}", "dataset": dataset,
            "schema": found, "functions": functions, "analysis": report,
            "stats": {s.name: s for s in report.functions}, "label_model": model}


@router.post("/label/{dataset}/{schema}/functions")
def create_function(dataset: str, schema: str, ctx: WebCtx, platform: PlatformDep,
                    name: Annotated[str, Form()], kind: Annotated[str, Form()],
                    label: Annotated[str, Form()], rule: Annotated[str, Form()],
                    threshold: Annotated[float, Form()] = 0.6) -> RedirectResponse:
    """Make a keyword, regex, SQL or similarity function from the form and apply it at
    once (a zero-shot prompt starts its job)."""
    functions = platform.labels.functions
    functions.create(ctx, dataset, schema, name, kind, label=label,
                     config=config_from_rule(kind, rule, threshold=threshold))
    if kind == "llm":  # a job: follow it on its page
        job = functions.run_llm(ctx, dataset, schema, name)
    else:
        job = functions.start_apply(ctx, dataset, schema, [name])
    return _to_job(job.id, dataset, schema)


@router.post("/label/{dataset}/{schema}/apply")
def apply_functions(dataset: str, schema: str, ctx: WebCtx,
                    platform: PlatformDep) -> RedirectResponse:
    job = platform.labels.functions.start_apply(ctx, dataset, schema)
    return _to_job(job.id, dataset, schema)


def _to_job(job_id: str, dataset: str, schema: str) -> RedirectResponse:
    """The job's page, which links back to the functions page when it is done."""
    back = quote(f"/label/{quote(dataset, safe='')}/{quote(schema, safe='')}/functions",
                 safe="")
    return RedirectResponse(f"/jobs/{job_id}?back={back}", status_code=303)


@router.post("/label/{dataset}/{schema}/commit", openapi_extra=policy(permission="labels.review"))
def commit(dataset: str, schema: str, ctx: WebCtx, platform: PlatformDep,
           weak: Annotated[bool, Form()] = False) -> RedirectResponse:
    """The page's "commit labels" button: a new dataset version with the label columns."""
    platform.labels.commit(ctx, dataset, schema, weak=weak)
    return RedirectResponse(f"/datasets/{quote(dataset, safe='')}", status_code=303)


def _shown(value: Any) -> str:
    """A settled label as text: a class, classes, or spans."""
    if isinstance(value, list):
        return "; ".join(f"{v['label']} [{v['start']}-{v['end']}]" if isinstance(v, dict)
                         else str(v) for v in value) or "none"
    return str(value)


def _render(kind: SchemaKind, text: str) -> str:
    """Markdown for reading; plain text for span labeling (offsets must match the text)."""
    if kind == SchemaKind.SPANS:
        return str(escape(text))
    return str(markdown(text))
