"""What deleting a dataset does to its labels: its label schemas go with it, and with
them people's answers, the labeling functions and their votes (the dataset's versions,
which hold any committed labels, are deleted too)."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sluice.storage.metadata.schema import (
    AnnotationRow,
    LabelingFunctionRow,
    LabelSchemaRow,
    LabelVoteRow,
)


def forget_labels(s: Session, dataset_id: str) -> None:
    """Called inside a dataset delete, in its transaction."""
    schemas = select(LabelSchemaRow.id).where(LabelSchemaRow.dataset_id == dataset_id)
    functions = select(LabelingFunctionRow.id).where(LabelingFunctionRow.schema_id.in_(schemas))
    s.execute(delete(LabelVoteRow).where(LabelVoteRow.lf_id.in_(functions)))
    s.execute(delete(LabelingFunctionRow).where(LabelingFunctionRow.schema_id.in_(schemas)))
    s.execute(delete(AnnotationRow).where(AnnotationRow.schema_id.in_(schemas)))
    s.execute(delete(LabelSchemaRow).where(LabelSchemaRow.dataset_id == dataset_id))
