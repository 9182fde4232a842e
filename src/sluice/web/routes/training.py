"""The Train pages: pick a dataset version and a target, see what a search would do, start
it, watch its leaderboard and best curve fill, register the best model with one click."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from sluice.api.deps import PlatformDep
from sluice.api.policy import policy
from sluice.core.training import (
    FinetuneRequest,
    Finetuning,
    Task,
    Training,
    TrainingService,
    TrainRequest,
)
from sluice.errors import InvalidInput
from sluice.platform import Platform
from sluice.web.charts import line_chart
from sluice.web.session import WebCtx
from sluice.web.templating import templates
from sluice.web.twin import twin

router = APIRouter(include_in_schema=False)
BUDGETS = (10, 30, 60, 120, 300, 600)


def _service(platform: Platform) -> TrainingService:
    service: TrainingService = platform.service("training")
    return service


@twin(router, "/train", "train.html")
def train_page(request: Request, ctx: WebCtx, platform: PlatformDep, dataset: str = "",
               target: str = "") -> dict[str, Any]:
    service = _service(platform)
    preview = service.preview(ctx, dataset, target or None) if dataset else None
    return {"title": "Train a model", "datasets": [d.name for d in platform.datasets.list(ctx)],
            "dataset": dataset, "preview": preview, "budgets": BUDGETS,
            "tasks": [t.value for t in Task], "recent": service.list(ctx, limit=20),
            "finetunes": service.finetunings(ctx, limit=20)}


@router.post("/train", openapi_extra=policy(permission="training.run"))
def start(ctx: WebCtx, platform: PlatformDep, dataset: Annotated[str, Form()],
          target: Annotated[str, Form()], budget: Annotated[float, Form()] = 60.0,
          task: Annotated[str, Form()] = "",
          register_as: Annotated[str, Form()] = "") -> RedirectResponse:
    """The Train form: start the search and follow it on its own page."""
    request = TrainRequest(dataset=dataset, target=target, budget=budget,
                           task=Task(task) if task else None,
                           register_as=register_as.strip() or None)
    training = _service(platform).train(ctx, request)
    return RedirectResponse(f"/train/{training.id}", status_code=303)


@twin(router, "/train/{job_id}", "training.html")
def training_page(request: Request, job_id: str, ctx: WebCtx,
                  platform: PlatformDep) -> dict[str, Any]:
    training = _service(platform).get(ctx, job_id)
    return {"title": f"Training {training.request.target} from {training.request.dataset}",
            "training": training, "chart": _chart(training),
            "suggested_name": f"{training.request.dataset.split('@')[0]}-"
                              f"{training.request.target}"}


def _chart(training: Training) -> dict[str, Any] | None:
    curve = training.best_curve
    if not curve.get("values"):
        return None
    points = list(zip(curve["steps"], curve["values"], strict=True))
    return line_chart({f"best trial: {curve['metric']}": points},
                      x_title="boosting round", y_title=curve["metric"])


@router.get("/train/{job_id}/live", response_class=HTMLResponse)
def training_live(request: Request, job_id: str, ctx: WebCtx,
                  platform: PlatformDep) -> HTMLResponse:
    """The live part of the training page (htmx polls it until the job ends)."""
    data = training_page(request=request, job_id=job_id, ctx=ctx, platform=platform)
    return templates.TemplateResponse(request, "_training_live.html", {"page": data})


@router.post("/train/{job_id}/register", openapi_extra=policy(permission="models.write"))
def register(job_id: str, ctx: WebCtx, platform: PlatformDep,
             name: Annotated[str, Form()]) -> RedirectResponse:
    """The Register button: a new model version, then its card."""
    version = _service(platform).register(ctx, job_id, name.strip())
    return RedirectResponse(f"/models/{quote(version.name, safe='')}/card?version="
                            f"{version.version}", status_code=303)


@router.post("/finetune", openapi_extra=policy(permission="training.run"))
def start_finetune(ctx: WebCtx, platform: PlatformDep, dataset: Annotated[str, Form()],
                   prompt_column: Annotated[str, Form()] = "prompt",
                   response_column: Annotated[str, Form()] = "response",
                   steps: Annotated[str, Form()] = "",
                   register_as: Annotated[str, Form()] = "") -> RedirectResponse:
    """The fine-tuning form on the Train page."""
    request = FinetuneRequest(dataset=dataset, prompt_column=prompt_column.strip(),
                              response_column=response_column.strip(),
                              steps=int(steps) if steps.strip() else None,
                              register_as=register_as.strip() or None)
    tuned = _service(platform).finetune(ctx, request, local=False)
    return RedirectResponse(f"/finetune/{tuned.id}", status_code=303)


@twin(router, "/finetune/{job_id}", "finetuning.html")
def finetuning_page(request: Request, job_id: str, ctx: WebCtx,
                    platform: PlatformDep) -> dict[str, Any]:
    tuned = _service(platform).finetuning(ctx, job_id)
    return {"title": f"Fine-tuning on {tuned.request.dataset}", "tuned": tuned,
            "chart": _loss_chart(tuned)}


def _loss_chart(tuned: Finetuning) -> dict[str, Any] | None:
    curve = tuned.loss_curve
    if not curve.get("values"):
        return None
    return line_chart({"train loss": list(zip(curve["steps"], curve["values"], strict=True))},
                      x_title="step", y_title="loss")


@router.post("/finetune/{job_id}/merge", openapi_extra=policy(permission="models.write"))
def merge(job_id: str, ctx: WebCtx, platform: PlatformDep,
          name: Annotated[str, Form()]) -> RedirectResponse:
    """The Merge button: the registered adapter merged into its base, registered as a
    whole model; then its card."""
    tuned = _service(platform).finetuning(ctx, job_id)
    registered = tuned.result.registered if tuned.result else None
    if not registered:
        raise InvalidInput("register the adapter first (fine-tune with a model name)",
                           code="not_an_adapter")
    version = _service(platform).merge(
        ctx, f"{registered['name']}/{registered['version']}", name.strip())
    return RedirectResponse(f"/models/{quote(version.name, safe='')}/card?version="
                            f"{version.version}", status_code=303)


@router.get("/finetune/{job_id}/live", response_class=HTMLResponse)
def finetuning_live(request: Request, job_id: str, ctx: WebCtx,
                    platform: PlatformDep) -> HTMLResponse:
    """The live part of the fine-tuning page (htmx polls it until the job ends)."""
    data = finetuning_page(request=request, job_id=job_id, ctx=ctx, platform=platform)
    return templates.TemplateResponse(request, "_finetuning_live.html", {"page": data})


@router.post("/train/{job_id}/cancel", openapi_extra=policy(permission="jobs.cancel"))
def cancel(job_id: str, ctx: WebCtx, platform: PlatformDep) -> RedirectResponse:
    _service(platform).cancel(ctx, job_id)
    return RedirectResponse(f"/train/{job_id}", status_code=303)
