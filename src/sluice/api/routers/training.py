"""Training: start an AutoML search, follow its leaderboard, register its best model."""

from __future__ import annotations

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from sluice.api.deps import CtxDep, PlatformDep
from sluice.api.policy import policy
from sluice.core.registry import ModelVersion
from sluice.core.training import (
    FinetuneRequest,
    Finetuning,
    Training,
    TrainingService,
    TrainRequest,
)

router = APIRouter(prefix="/api/v1/training", tags=["training"])


class RegisterBody(BaseModel):
    name: str = Field(description="The registered model; created on first use.")
    description: str = ""


class MergeBody(BaseModel):
    adapter: str = Field(description="A registered LoRA adapter: name@alias or name/3.")
    name: str = Field(description="The registered model the merged model becomes a "
                                  "version of; created on first use.")
    description: str = ""


def _service(platform: PlatformDep) -> TrainingService:
    service: TrainingService = platform.service("training")
    return service


@router.post("", status_code=202)
def train(body: TrainRequest, ctx: CtxDep, platform: PlatformDep) -> Training:
    """Start a search for the best model of `target` (a job; poll `GET /training/{id}`)."""
    return _service(platform).train(ctx, body)


@router.post("/finetune", status_code=202)
def finetune(body: FinetuneRequest, ctx: CtxDep, platform: PlatformDep) -> Finetuning:
    """Start training a LoRA adapter on prompt/response pairs (a job; poll
    `GET /training/finetune/{id}`)."""
    return _service(platform).finetune(ctx, body, local=False)


@router.post("/merge", openapi_extra=policy(permission="models.write"))
def merge(body: MergeBody, ctx: CtxDep, platform: PlatformDep) -> ModelVersion:
    """Merge a registered LoRA adapter into its base and register the whole model (usable
    as `model` in `/ask` and the OpenAI routes)."""
    return _service(platform).merge(ctx, body.adapter, body.name,
                                    description=body.description)


@router.get("/finetune/{job_id}")
def get_finetuning(job_id: str, ctx: CtxDep, platform: PlatformDep) -> Finetuning:
    """A fine-tuning job: state, loss curve, before/after measures, result."""
    return _service(platform).finetuning(ctx, job_id)


@router.get("")
def list_training(ctx: CtxDep, platform: PlatformDep,
                  limit: int = Query(50, ge=1, le=500)) -> list[Training]:
    """Recent training jobs, newest first (without leaderboards)."""
    return _service(platform).list(ctx, limit=limit)


@router.get("/{job_id}")
def get_training(job_id: str, ctx: CtxDep, platform: PlatformDep) -> Training:
    """A training job: state, leaderboard (best first), the best trial's curve, result."""
    return _service(platform).get(ctx, job_id)


@router.post("/{job_id}/register", openapi_extra=policy(permission="models.write"))
def register(job_id: str, body: RegisterBody, ctx: CtxDep,
             platform: PlatformDep) -> ModelVersion:
    """Register the best model of a finished search as a new version of `name`."""
    return _service(platform).register(ctx, job_id, body.name, description=body.description)


@router.post("/{job_id}/cancel", openapi_extra=policy(permission="jobs.cancel"))
def cancel(job_id: str, ctx: CtxDep, platform: PlatformDep) -> Training:
    """Ask a training job to stop; its trials so far stay as runs."""
    return _service(platform).cancel(ctx, job_id)
