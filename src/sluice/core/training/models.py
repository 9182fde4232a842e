"""What a training search reports: every trial and the best one."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Task(StrEnum):
    BINARY = "binary"
    MULTICLASS = "multiclass"
    REGRESSION = "regression"


class Trial(BaseModel):
    number: int
    family: str = "lightgbm"  # lightgbm | linear
    params: dict[str, Any]
    score: float | None  # the cross-validated metric; None when pruned or failed
    fold_scores: list[float] = Field(default_factory=list)
    rounds: int  # boosting rounds chosen by early stopping
    refit_rounds: int | None = None  # rounds the refit uses when fixed (the baseline's 100)
    seconds: float
    state: str  # complete | pruned | failed
    note: str = ""


class SearchResult(BaseModel):
    task: Task
    target: str
    metric: str  # roc_auc | accuracy | rmse
    higher_is_better: bool
    rows: int
    features: list[str]
    dropped: dict[str, str]  # column -> why it was left out
    folds: int
    split: str = ""  # how the folds were made, in words
    best: Trial
    default_score: float  # LightGBM with its default parameters, same folds
    trials: list[Trial]
    trials_on: str = "this job, one trial at a time"
    seconds: float


class TrainRequest(BaseModel):
    """What to train: the doors all send this."""

    model_config = ConfigDict(extra="forbid")

    dataset: str = Field(description="A dataset version, `name@3`, or `name` for its latest.")
    target: str = Field(description="The column to predict.")
    task: Task | None = Field(None, description="Detected from the target when left out.")
    budget: float = Field(60.0, description="Seconds the search may take (the refit and "
                                            "the text embedding come on top).")
    columns: list[str] | None = Field(None, description="The columns to learn from; every "
                                                         "usable one when left out.")
    time_column: str | None = Field(None, description="Validate on later rows than the "
                                                      "ones trained on, ordered by this.")
    weight_column: str | None = Field(None, description="Row weights, e.g. a label model's "
                                                        "confidence (`weak_<schema>_confidence`).")
    check_column: str | None = Field(None, description="People's labels (`label_<schema>`): "
                                                       "rows that have one are held out and "
                                                       "the model is scored against them.")
    folds: int | None = Field(
        None, ge=1, le=10, description="How each trial is scored: k-fold cross-validation "
        "(2..10), or one 20% holdout (1). Left out, 3-fold cross-validation when the data "
        "is small for the budget, else a holdout, so a short budget still tries many "
        "settings (FLAML's rule).")
    experiment: str | None = Field(None, description="The experiment of the runs; "
                                                     "`train-<dataset>` by default.")
    register_as: str | None = Field(None, description="Register the best model under "
                                                      "this name when the search ends.")
    seed: int = 0
    max_trials: int | None = Field(None, ge=1, le=100_000)


class Check(BaseModel):
    """The refit model scored on rows it never saw (people's labels, for distillation)."""

    column: str
    rows: int
    metric: str
    score: float


class TrainResult(BaseModel):
    target: str
    task: Task
    metric: str
    higher_is_better: bool
    rows: int
    features: list[str]
    dropped: dict[str, str]
    split: str
    best: Trial
    default_score: float
    trials: int
    pruned: int
    failed: int
    cut: int = 0  # stopped by the time budget
    trials_on: str = "this job, one trial at a time"  # where the trials ran, in words
    search_seconds: float
    seconds: float
    check: Check | None = None
    report: str
    model_uri: str
    onnx: dict[str, Any] = Field(default_factory=dict)  # the export and its check
    registered: dict[str, Any] | None = None


class LeaderboardEntry(BaseModel):
    run_id: str
    number: int
    family: str
    state: str
    score: float | None
    rounds: int
    seconds: float
    params: dict[str, str]
    note: str = ""


class Training(BaseModel):
    """A training job as the doors show it: the job, its runs and, once done, its result."""

    id: str = Field(description="The job id.")
    state: str
    message: str
    fraction: float | None
    request: TrainRequest
    run_id: str
    experiment_id: str
    task: str | None = None
    metric: str | None = None
    higher_is_better: bool = True
    leaderboard: list[LeaderboardEntry] = Field(default_factory=list)
    best_curve: dict[str, Any] = Field(default_factory=dict)
    result: TrainResult | None = None
    error: dict[str, Any] | None = None


class Preview(BaseModel):
    """What a search would do with a target, read from the first rows (the Train page)."""

    dataset: str
    rows: int
    columns: list[str]
    target: str | None = None
    task: Task | None = None
    classes: dict[str, int] = Field(default_factory=dict)  # the most common, with counts
    features: dict[str, str] = Field(default_factory=dict)  # column -> number|date|...
    dropped: dict[str, str] = Field(default_factory=dict)
    problem: dict[str, Any] | None = Field(None, description="Why training this target "
                                                             "would fail: code and message.")


class FinetuneRequest(BaseModel):
    """What to fine-tune: a LoRA adapter on prompt/response pairs of a dataset version."""

    model_config = ConfigDict(extra="forbid")

    dataset: str = Field(description="A dataset version, `name@3`, or `name` for its latest.")
    prompt_column: str = "prompt"
    response_column: str = "response"
    messages_column: str | None = Field(
        None, description="Instead of prompt and response: a column of chat conversations "
        "(a list of {role, content}, or its JSON); each is learned up to its last "
        "assistant turn, which is the response.")
    base: str = Field("smollm2", description="`smollm2` (the bundled model) or a local "
                                             "Hugging Face model folder.")
    steps: int | None = Field(None, ge=1, le=1_000_000, description="Optimizer steps; one "
                                                                     "pass over the pairs "
                                                                     "when left out.")
    batch_size: int = Field(4, ge=1, le=256)
    max_length: int = Field(256, ge=16, le=8192, description="Tokens per pair at most.")
    learning_rate: float = Field(2e-4, gt=0, le=1.0)
    rank: int = Field(8, ge=1, le=256)
    alpha: int = Field(16, ge=1, le=1024)
    target_modules: list[str] = Field(default_factory=lambda: ["q_proj", "v_proj"])
    eval_fraction: float = Field(0.1, ge=0.0, le=0.5, description="Pairs held out to "
                                                                  "measure before and after.")
    eval_answers: int = Field(8, ge=0, le=200, description="Held-out prompts answered "
                                                           "before and after (contains-match).")
    time_limit: float = Field(3600.0, gt=0, le=7 * 24 * 3600, description="Seconds of "
                              "training at most; it stops early, keeping what it learned.")
    experiment: str | None = None
    register_as: str | None = Field(None, description="Register the adapter under this name.")
    seed: int = 0


class Measured(BaseModel):
    loss: float
    perplexity: float
    contains: float | None = None  # share of answers holding the reference


class FinetuneResult(BaseModel):
    base: str
    pairs: int
    eval_pairs: int
    steps: int  # done (fewer than asked when the time limit stopped it)
    stopped_early: bool = False
    tokens: int
    seconds: float
    tokens_per_second: float
    before: Measured | None = None
    after: Measured | None = None
    adapter_uri: str
    registered: dict[str, Any] | None = None


class Finetuning(BaseModel):
    """A fine-tuning job as the doors show it."""

    id: str
    state: str
    message: str
    fraction: float | None
    request: FinetuneRequest
    run_id: str
    experiment_id: str
    loss_curve: dict[str, Any] = Field(default_factory=dict)
    result: FinetuneResult | None = None
    error: dict[str, Any] | None = None
