"""Which of a dataset's columns holds its text: the default wherever someone reads prose
(a label schema's column)."""

from __future__ import annotations

import lance
import pyarrow as pa
import pyarrow.compute as pc

from sluice.errors import InvalidInput

SAMPLE_ROWS = 500


def text_columns(ds: lance.LanceDataset) -> list[str]:
    """The string columns people wrote (not ``_``-prefixed), likeliest text first: one
    named ``text``, then by mean length over the first rows, longest first (an ``id`` or
    ``author`` column loses to the comments next to it)."""
    names = [f.name for f in ds.schema
             if (pa.types.is_string(f.type) or pa.types.is_large_string(f.type))
             and not f.name.startswith("_")]
    if len(names) < 2:
        return names
    sample = ds.to_table(columns=names, limit=SAMPLE_ROWS)
    length = {name: _mean_length(sample.column(name)) for name in names}
    return sorted(names, key=lambda name: (name.lower() != "text", -length[name]))


def choose_text_column(ds: lance.LanceDataset, dataset: str, column: str | None) -> str:
    """``column`` if it is one of ``text_columns``, else (None) the likeliest of them.

    Raises:
        InvalidInput: ``no_text_column``, ``column_not_found``.
    """
    texts = text_columns(ds)
    if column is None:
        if not texts:
            raise InvalidInput(f"{dataset} has no text column to label", code="no_text_column")
        return texts[0]
    if column not in texts:
        raise InvalidInput(f"{dataset} has no text column {column!r}; text columns: "
                           f"{', '.join(texts) or 'none'}", code="column_not_found",
                           details={"column": column, "text_columns": texts})
    return column


def _mean_length(column: pa.ChunkedArray) -> float:
    if len(column) == 0:
        return 0.0
    total = pc.sum(pc.fill_null(pc.utf8_length(column), 0)).as_py() or 0
    return float(total) / len(column)
