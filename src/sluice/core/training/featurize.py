"""From a dataset's columns to the numbers a model reads, the same way when training and
when predicting: a :class:`Recipe` is decided once from the training rows, stored with the
model, and applied to every later row.

Numbers and booleans stay numbers, dates become their timestamp, repeated text values
become categories (codes into a fixed list, unknown values missing), and free text is
embedded with the bundled MiniLM (one feature per dimension). Identifiers, nested values
and empty columns are left out, each with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from sluice.errors import InvalidInput

SYSTEM_COLUMNS = frozenset({"_key", "_hash", "_source"})
MAX_CATEGORIES = 1000
TEXT_MIN_WORDS = 3.0  # free text averages at least this many words; shorter is an identifier
EMBEDDER = "minilm"

Kind = Literal["number", "date", "category", "text"]
Embed = Callable[[list[str]], np.ndarray]


class Column(BaseModel):
    name: str
    kind: Kind
    categories: list[str] = Field(default_factory=list)  # for kind category, in code order


class Recipe(BaseModel):
    columns: list[Column]
    embedder: str = EMBEDDER
    dims: int = 0  # embedding size, once a text column has been embedded

    @property
    def text(self) -> list[str]:
        return [c.name for c in self.columns if c.kind == "text"]

    def feature_names(self) -> list[str]:
        names: list[str] = []
        for c in self.columns:
            names += [f"{c.name}[{i}]" for i in range(self.dims)] if c.kind == "text" \
                else [c.name]
        return names

    def categorical(self) -> list[int]:
        """Positions of the category features in :meth:`feature_names`."""
        names = self.feature_names()
        return [names.index(c.name) for c in self.columns if c.kind == "category"]


def fit_recipe(frame: pd.DataFrame, target: str, *, columns: Sequence[str] | None = None,
               exclude: Sequence[str] = ()) -> tuple[Recipe, dict[str, str]]:
    """Decide how each column is used, and why each other column was left out.

    ``columns`` names the ones to use (all but the target by default); a named column that
    cannot be used is an error, where an unnamed one is only left out.

    Raises:
        InvalidInput: ``column_not_found``, ``column_unusable``.
    """
    named = list(columns or [])
    missing = [c for c in named if c not in frame.columns or c in SYSTEM_COLUMNS]
    if missing:
        raise InvalidInput(f"no column {missing[0]!r} in this dataset version",
                           code="column_not_found", details={"columns": missing})
    kept: list[Column] = []
    dropped: dict[str, str] = {}
    skip = {target, *exclude, *SYSTEM_COLUMNS}
    for name in named or [c for c in frame.columns if c not in skip]:
        column, why = _decide(name, frame[name])
        if column is not None:
            kept.append(column)
        elif named:
            raise InvalidInput(f"column {name!r} cannot be used: {why}",
                               code="column_unusable", details={"column": name, "why": why})
        else:
            dropped[name] = why
    for name in exclude:
        if name in frame.columns and name != target:
            dropped[name] = "orders the split or weights the rows"
    return Recipe(columns=kept), dropped


def _decide(name: str, column: pd.Series) -> tuple[Column | None, str]:
    values = column.dropna()
    if pd.api.types.is_string_dtype(values) or values.dtype == object:
        values = values[values.astype(str).str.strip() != ""]
    if values.empty:
        return None, "all values missing or empty"
    if pd.api.types.is_datetime64_any_dtype(values):
        return Column(name=name, kind="date"), ""
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
        return Column(name=name, kind="number"), ""
    if not all(isinstance(v, str) for v in values.head(1000)):
        return None, "nested values (lists or objects)"
    distinct = values.nunique()
    if distinct <= MAX_CATEGORIES and distinct <= 0.5 * len(values):
        ordered = values.value_counts().index.astype(str).tolist()
        return Column(name=name, kind="category", categories=ordered), ""
    words = float(np.mean([len(str(v).split()) for v in values.head(2000)]))
    if words >= TEXT_MIN_WORDS:
        return Column(name=name, kind="text"), ""
    return None, "an identifier (nearly every value differs, and values are not sentences)"


def transform(recipe: Recipe, frame: pd.DataFrame, embed: Embed | None = None) -> np.ndarray:
    """The feature matrix (rows by :meth:`Recipe.feature_names`), float64 with NaN for
    missing values and category codes for categories.

    A column the rows lack counts as missing in every row.

    Raises:
        InvalidInput: ``column_not_found`` when the rows have none of the model's columns.
    """
    names = [c.name for c in recipe.columns]
    if not any(n in frame.columns for n in names):
        raise InvalidInput(f"the rows have none of the columns the model reads: "
                           f"{', '.join(names)}", code="column_not_found",
                           details={"columns": names})
    parts: list[np.ndarray] = []
    for c in recipe.columns:
        column = frame[c.name] if c.name in frame.columns else \
            pd.Series([None] * len(frame), index=frame.index, dtype=object)
        parts.append(_encode(recipe, c, column, embed))
    return np.column_stack(parts) if parts else np.zeros((len(frame), 0))


def _encode(recipe: Recipe, c: Column, column: pd.Series, embed: Embed | None) -> np.ndarray:
    if c.kind == "number":
        return pd.to_numeric(column, errors="coerce").astype(float).to_numpy()[:, None]
    if c.kind == "date":
        stamps = pd.to_datetime(column, errors="coerce", utc=True)
        seconds = (stamps - pd.Timestamp(0, tz="UTC")).dt.total_seconds()
        return seconds.to_numpy(dtype=float, na_value=np.nan)[:, None]
    if c.kind == "category":
        codes = pd.Categorical(column.astype("string"), categories=c.categories).codes
        return np.where(codes < 0, np.nan, codes).astype(float)[:, None]
    if embed is None:
        raise InvalidInput("text columns need the embedder", code="embedder_missing")
    texts = ["" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
             for v in column.tolist()]
    vectors = np.asarray(embed(texts), dtype=np.float64)
    recipe.dims = recipe.dims or vectors.shape[1]
    return vectors

