"""Labeling: schemas, annotations by people, labeling functions, a label model.

The front doors import this area only from here (see ``sluice.core.public``)."""

from typing import TYPE_CHECKING

from sluice.core.public import lazy_exports

if TYPE_CHECKING:
    from sluice.core.labels.commit import describe_label_sources as describe_label_sources
    from sluice.core.labels.guard import LabelingFn as LabelingFn, run_guarded as run_guarded
    from sluice.core.labels.models import (
        CURVE_STRATEGIES as CURVE_STRATEGIES,
        QUEUE_ORDERS as QUEUE_ORDERS,
        Agreement as Agreement,
        Annotation as Annotation,
        Answer as Answer,
        AnswerError as AnswerError,
        LabelingFunction as LabelingFunction,
        LabelIssues as LabelIssues,
        LabelModelReport as LabelModelReport,
        LabelSchema as LabelSchema,
        LearningCurve as LearningCurve,
        LFAnalysis as LFAnalysis,
        Queue as Queue,
        SchemaKind as SchemaKind,
        SessionResult as SessionResult,
        Span as Span,
    )
    from sluice.core.labels.rules import Outcome as Outcome, config_from_rule as config_from_rule
    from sluice.core.labels.sessions import MAX_ANSWERS as MAX_ANSWERS

__getattr__, __dir__ = lazy_exports(__name__, __file__)
