"""Training in the SDK: ``client.training`` and its shortcut ``client.train(...)`` (the
same calls locally and over REST)."""

from __future__ import annotations

import builtins
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from sluice.core.registry import ModelVersion
from sluice.core.training import (
    FinetuneRequest,
    Finetuning,
    Task,
    Training,
    TrainRequest,
)
from sluice.errors import Cancelled, SluiceError, Timeout, error_from_payload

if TYPE_CHECKING:
    from sluice.sdk.local import LocalClient
    from sluice.sdk.remote import RemoteClient

FINISHED = ("succeeded", "failed", "cancelled")


class TrainingAPI(ABC):
    def train(self, dataset: str, target: str, *, task: Task | str | None = None,
              budget: float = 60.0, columns: Sequence[str] | None = None,
              time_column: str | None = None, weight_column: str | None = None,
              check_column: str | None = None, folds: int | None = None,
              experiment: str | None = None, register: str | None = None, seed: int = 0,
              max_trials: int | None = None, wait: bool = True,
              on_progress: Callable[[Training], None] | None = None,
              timeout: float | None = None) -> Training:
        """Search for the best model predicting ``target`` from a dataset version.

        Every trial is a run under one parent run; the best settings are refit on every row
        and stored with the parent run, and registered as ``register`` when named.

        Args:
            dataset: ``name@3``, or ``name`` for the latest version.
            target: the column to predict; the task is detected from it unless ``task``
                (``binary``, ``multiclass``, ``regression``) says otherwise.
            budget: seconds the search may take.
            time_column: validate on later rows than the ones trained on.
            weight_column: row weights, e.g. ``weak_<schema>_confidence``.
            check_column: people's labels; rows that have one are held out and the final
                model is scored against them (distillation).
            folds: k-fold cross-validation (2..10) or one 20% holdout (1); by default 3
                folds when the data is small for the budget, else a holdout.
            wait: follow the job to its end (``on_progress`` sees each update).

        Raises:
            InvalidInput: a target or column the search cannot use, a bad budget.
            SluiceError: the job's own error when it failed; Cancelled when cancelled.

        Example::

            training = client.train("churn@2", "churned", budget=120, register="churn")
            print(training.result.best.score, training.result.report)
        """
        request = TrainRequest(
            dataset=dataset, target=target, task=Task(task) if task else None, budget=budget,
            columns=list(columns) if columns else None, time_column=time_column,
            weight_column=weight_column, check_column=check_column, folds=folds,
            experiment=experiment, register_as=register, seed=seed, max_trials=max_trials)
        training = self._start(request)
        return self.wait(training.id, on_progress=on_progress, timeout=timeout) if wait \
            else training

    def wait(self, job_id: str, *, on_progress: Callable[[Training], None] | None = None,
             timeout: float | None = None, poll: float = 0.5) -> Training:
        """Follow a training job to its end; raises its error when it failed."""
        return _follow(self.get, job_id, on_progress, timeout, poll)

    def finetune(self, dataset: str, *, prompt_column: str = "prompt",
                 response_column: str = "response", base: str = "smollm2",
                 steps: int | None = None, batch_size: int = 4, max_length: int = 256,
                 learning_rate: float = 2e-4, rank: int = 8, alpha: int = 16,
                 target_modules: Sequence[str] = ("q_proj", "v_proj"),
                 eval_fraction: float = 0.1, eval_answers: int = 8,
                 time_limit: float = 3600.0, experiment: str | None = None,
                 register: str | None = None, seed: int = 0,
                 wait: bool = True, on_progress: Callable[[Finetuning], None] | None = None,
                 timeout: float | None = None,
                 messages_column: str | None = None) -> Finetuning:
        """Train a LoRA adapter on a dataset version's prompt/response pairs, or on its
        chat conversations (``messages_column``: lists of ``{role, content}``, each learned
        up to its last assistant turn).

        The base is the bundled SmolLM2 (``smollm2``) or a local Hugging Face model folder
        (safetensors weights). Some pairs are held out and measured before and after (loss,
        perplexity, and how often an answer contains the reference); every step's loss is
        on the job's run, and the adapter (safetensors) is registered as ``register`` when
        named, tagged with its base.

        Raises:
            InvalidInput: ``column_not_found``, ``invalid_base_model``,
                ``dataset_too_small``, ``invalid_target_modules``.
        """
        request = FinetuneRequest(
            dataset=dataset, prompt_column=prompt_column, response_column=response_column,
            base=base, steps=steps, batch_size=batch_size, max_length=max_length,
            learning_rate=learning_rate, rank=rank, alpha=alpha,
            target_modules=list(target_modules), eval_fraction=eval_fraction,
            eval_answers=eval_answers, time_limit=time_limit, experiment=experiment,
            register_as=register, seed=seed, messages_column=messages_column)
        started = self._start_finetune(request)
        if not wait:
            return started
        return self.wait_finetune(started.id, on_progress=on_progress, timeout=timeout)

    def wait_finetune(self, job_id: str, *,
                      on_progress: Callable[[Finetuning], None] | None = None,
                      timeout: float | None = None, poll: float = 0.5) -> Finetuning:
        """Follow a fine-tuning job to its end; raises its error when it failed."""
        return _follow(self.finetuning, job_id, on_progress, timeout, poll)

    @abstractmethod
    def finetuning(self, job_id: str) -> Finetuning:
        """A fine-tuning job: its state, loss curve and (when done) result."""

    @abstractmethod
    def _start_finetune(self, request: FinetuneRequest) -> Finetuning: ...

    @abstractmethod
    def _start(self, request: TrainRequest) -> Training: ...

    @abstractmethod
    def get(self, job_id: str) -> Training:
        """A training job: its state, leaderboard, best curve and (when done) result."""

    @abstractmethod
    def list(self, *, limit: int = 50) -> builtins.list[Training]:
        """Recent training jobs, newest first (without leaderboards)."""

    @abstractmethod
    def register(self, job_id: str, name: str, *, description: str = "") -> ModelVersion:
        """Register the best model of a finished training job as a new version of ``name``."""

    @abstractmethod
    def cancel(self, job_id: str) -> Training:
        """Ask a training job to stop; its trials so far stay as runs."""

    @abstractmethod
    def merge(self, adapter: str, name: str, *, description: str = "") -> ModelVersion:
        """Merge a registered LoRA adapter (``name@alias``, ``name/3``) into its base and
        register the whole model as a new version of ``name``; use it with
        ``client.ask(..., model="name@alias")`` or the OpenAI routes' ``model``.

        Raises:
            InvalidInput: ``not_an_adapter``, ``base_model_missing``.
            NotFound: no such model or version.
        """


J = TypeVar("J", Training, Finetuning)


def _follow(get: Callable[[str], J], job_id: str, on_progress: Callable[[J], None] | None,
            timeout: float | None, poll: float) -> J:
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        training = get(job_id)
        if on_progress:
            on_progress(training)
        if training.state in FINISHED:
            return _raise_if_failed(training)
        if deadline is not None and time.monotonic() > deadline:
            raise Timeout(f"training {job_id} still {training.state} after {timeout}s",
                          code="job_wait_timeout")
        time.sleep(poll)


def _raise_if_failed(training: J) -> J:
    if training.state == "failed":
        raise error_from_payload({"error": training.error}, 500) if training.error \
            else SluiceError(f"training {training.id} failed: {training.message}")
    if training.state == "cancelled":
        raise Cancelled(f"training {training.id} was cancelled", code="job_cancelled")
    return training


class LocalTraining(TrainingAPI):
    def __init__(self, client: LocalClient) -> None:
        self.client = client

    @property
    def _service(self) -> Any:
        return self.client.platform.service("training")

    def _start(self, request: TrainRequest) -> Training:
        training: Training = self._service.train(self.client.ctx, request)
        return training

    def get(self, job_id: str) -> Training:
        training: Training = self._service.get(self.client.ctx, job_id)
        return training

    def list(self, *, limit: int = 50) -> builtins.list[Training]:
        found: builtins.list[Training] = self._service.list(self.client.ctx, limit=limit)
        return found

    def register(self, job_id: str, name: str, *, description: str = "") -> ModelVersion:
        version: ModelVersion = self._service.register(self.client.ctx, job_id, name,
                                                       description=description)
        return version

    def cancel(self, job_id: str) -> Training:
        training: Training = self._service.cancel(self.client.ctx, job_id)
        return training

    def finetuning(self, job_id: str) -> Finetuning:
        found: Finetuning = self._service.finetuning(self.client.ctx, job_id)
        return found

    def merge(self, adapter: str, name: str, *, description: str = "") -> ModelVersion:
        version: ModelVersion = self._service.merge(self.client.ctx, adapter, name,
                                                    description=description)
        return version

    def _start_finetune(self, request: FinetuneRequest) -> Finetuning:
        found: Finetuning = self._service.finetune(self.client.ctx, request)
        return found


class RemoteTraining(TrainingAPI):
    def __init__(self, client: RemoteClient) -> None:
        self.http = client.http

    def _start(self, request: TrainRequest) -> Training:
        return self.http.model(Training, "POST", "/training",
                               json=request.model_dump(mode="json", exclude_none=True))

    def get(self, job_id: str) -> Training:
        return self.http.model(Training, "GET", f"/training/{job_id}")

    def list(self, *, limit: int = 50) -> builtins.list[Training]:
        return self.http.model(builtins.list[Training], "GET", "/training",
                               params={"limit": limit})

    def register(self, job_id: str, name: str, *, description: str = "") -> ModelVersion:
        return self.http.model(ModelVersion, "POST", f"/training/{job_id}/register",
                               json={"name": name, "description": description})

    def cancel(self, job_id: str) -> Training:
        return self.http.model(Training, "POST", f"/training/{job_id}/cancel")

    def finetuning(self, job_id: str) -> Finetuning:
        return self.http.model(Finetuning, "GET", f"/training/finetune/{job_id}")

    def merge(self, adapter: str, name: str, *, description: str = "") -> ModelVersion:
        return self.http.model(ModelVersion, "POST", "/training/merge",
                               json={"adapter": adapter, "name": name,
                                     "description": description})

    def _start_finetune(self, request: FinetuneRequest) -> Finetuning:
        return self.http.model(Finetuning, "POST", "/training/finetune",
                               json=request.model_dump(mode="json", exclude_none=True))
