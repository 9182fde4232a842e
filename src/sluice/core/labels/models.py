"""What labeling returns: schemas, annotations, queue items, agreement."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

CURVE_STRATEGIES = ("uncertainty", "margin", "entropy", "diversity")
"""Active-learning strategies: a queue order, and what a learning curve compares."""
QUEUE_ORDERS = ("sequential", "random", *CURVE_STRATEGIES)
"""The orders the labeling queue can serve items in."""


class SchemaKind(StrEnum):
    SINGLE = "single"
    MULTI = "multi"
    SPANS = "spans"


class SourceKind(StrEnum):
    HUMAN = "human"
    REVIEW = "review"
    LF = "lf"
    MODEL = "model"


class LabelSchema(BaseModel):
    dataset: str
    name: str
    kind: SchemaKind
    column: str = Field(description="The text column annotators read.")
    classes: list[str]
    overlap: int = Field(1, description="How many people label each item.")
    instructions: str = ""
    created_at: datetime
    created_by: str


class Span(BaseModel):
    start: int
    end: int
    label: str


class Answer(BaseModel):
    """One person's answer about one row, as sent in a labeling session."""

    key: str
    label: str | None = None
    labels: list[str] | None = None
    spans: list[Span] | None = None
    skip: bool = False
    confidence: float | None = None


class AnswerError(BaseModel):
    key: str
    code: str
    message: str


class SessionResult(BaseModel):
    """What a labeling session kept, what it refused (the rest went on), and the dataset
    version it committed."""

    schema_name: str
    saved: int
    errors: list[AnswerError] = Field(default_factory=list)
    version: int | None = Field(None, description="The dataset version the session "
                                                  "committed; null when labels are unchanged "
                                                  "or the session was not finished.")


class Annotation(BaseModel):
    id: str
    row_key: str
    label: str | None = None
    labels: list[str] | None = None
    spans: list[Span] | None = None
    skipped: bool = False
    source_kind: SourceKind
    source: str
    confidence: float | None = None
    dataset_version: int
    created_at: datetime
    retracted: bool = False


class QueueItem(BaseModel):
    key: str
    text: str
    answers: int = Field(description="Human answers this item has so far.")


class Queue(BaseModel):
    schema_name: str
    classes: list[str]
    kind: SchemaKind
    items: list[QueueItem]
    done: int = Field(description="Items with enough human answers.")
    total: int
    mine: int = Field(description="Items this annotator has answered (skips included).")
    skipped: int = Field(0, description="Items this annotator skipped (counted in mine).")
    order: str = Field("sequential", description="The order the items are in.")
    preparing: str | None = Field(None, description="The job embedding the texts for "
                                                    "active learning; until it ends the "
                                                    "queue is in dataset order.")


class ClassAgreement(BaseModel):
    label: str
    alpha: float | None = Field(None, description="Krippendorff's alpha, this class vs rest.")
    positive_agreement: float | None = None
    items: int = 0


class Agreement(BaseModel):
    schema_name: str
    annotators: list[str]
    items_compared: int
    krippendorff_alpha: float | None = None
    fleiss_kappa: float | None = None
    cohen_kappa: dict[str, float] = Field(default_factory=dict,
                                          description="Per pair of annotators (a|b).")
    span_f1: float | None = Field(None, description="Span schemas: pairwise F1 of exactly "
                                                    "matching spans (per label: "
                                                    "positive_agreement).")
    per_class: list[ClassAgreement] = Field(default_factory=list)
    disagreements: list[dict[str, Any]] = Field(default_factory=list,
                                                description="Items whose answers differ.")


class LabelingFunction(BaseModel):
    name: str
    kind: str
    label: str | None = Field(None, description="The class it votes (no-code kinds).")
    config: dict[str, Any] = Field(default_factory=dict)
    created_by: str
    created_at: datetime
    applied: dict[str, Any] = Field(default_factory=dict,
                                    description="The last run: version, votes, failures, ms.")


class LFStats(BaseModel):
    """Snorkel-style analysis of one function over the dataset's rows."""

    name: str
    kind: str
    polarity: list[str]
    coverage: float = Field(description="Share of rows it votes on.")
    overlap: float = Field(description="Share of rows it and another function vote on.")
    conflict: float = Field(description="Share of rows where another function votes "
                                        "differently.")
    failures: int
    correct: int = 0
    incorrect: int = 0
    accuracy: float | None = Field(None, description="On rows people have labeled.")


class LFAnalysis(BaseModel):
    schema_name: str
    rows: int
    labeled_by_people: int
    functions: list[LFStats]
    coverage: float = Field(description="Share of rows at least one function votes on.")
    majority_vote_accuracy: float | None = None


class ProbabilisticLabel(BaseModel):
    key: str
    label: str
    confidence: float
    votes: int = Field(description="How many functions voted on the row.")


class LabelModelReport(BaseModel):
    schema_name: str
    rows: int
    functions: dict[str, float | None] = Field(
        default_factory=dict, description="Each function's estimated accuracy (no gold).")
    labeled_by_people: int
    label_model_accuracy: float | None = Field(None, description=(
        "On people's labels, ties broken at random; out of fold (3 folds) when the model "
        "was fitted with people's labels."))
    majority_vote_accuracy: float | None = None
    coverage: float
    setting: str = Field("unsupervised", description=(
        "How people's labels were used: chosen out of fold, the unsupervised model unless "
        "another setting beats it."))
    class_balance: dict[str, float] = Field(default_factory=dict, description=(
        "The prior over classes the model used."))
    labels: list[ProbabilisticLabel] | None = None


class LearningCurve(BaseModel):
    """Accuracy of the quick model against the number of labels, simulated with people's
    labels as the oracle, for a query strategy and for random order."""

    schema_name: str
    strategy: str
    batch: int
    test_rows: int
    curve: list[tuple[int, float]]
    random: list[tuple[int, float]]


class LabelIssue(BaseModel):
    key: str
    text: str
    given: str = Field(description="The label people gave (review, else majority).")
    suggested: str = Field(description="The class the out-of-fold model prefers.")
    quality: float = Field(description="Out-of-fold probability of the given label.")


class LabelIssues(BaseModel):
    """Likely label errors found by confident learning (cleanlab) over out-of-fold
    predictions of the quick model, worst first."""

    schema_name: str
    checked: int
    folds: int
    issues: list[LabelIssue]
