"""A trained model as files, and the predictor that reads them back.

``sluice_model.json`` holds what turns rows into features (the :class:`Recipe`), the task,
the classes and, for a linear model, its numbers; a LightGBM model adds ``model.lgb.txt``
(LightGBM's own text format). Neither runs code when read, so the registry loads them as
a safe format (``sluice``) on every door.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sluice.core.training.families import Fitted, Linear
from sluice.core.training.featurize import Embed, Recipe, transform
from sluice.core.training.models import Task
from sluice.errors import InvalidInput

MANIFEST = "sluice_model.json"
BOOSTER = "model.lgb.txt"
FORMAT = "sluice-tabular"


def save(folder: Path, fitted: Fitted, recipe: Recipe, *, task: Task, target: str,
         classes: list[Any], x: np.ndarray | None = None) -> tuple[list[Path], dict[str, Any]]:
    """Write the model's files into ``folder``, with ``model.onnx`` when ``x`` (feature
    rows to check it on) is given and the export predicts alike; the files, and what the
    ONNX export did."""
    from sluice.core.training.onnx_export import ONNX_FILE, export

    folder.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, Any] = {"format": FORMAT, "version": 1, "task": str(task),
                                "target": target, "classes": classes, "family": fitted.family,
                                "rounds": fitted.rounds, "recipe": recipe.model_dump(),
                                "features": recipe.feature_names()}
    files = [folder / MANIFEST]
    if fitted.family == "lightgbm":
        fitted.model.save_model(str(folder / BOOSTER), num_iteration=fitted.rounds or None)
        files.append(folder / BOOSTER)
    else:
        manifest["linear"] = fitted.model.to_dict()
    onnx: dict[str, Any] = {"exported": False, "note": "not asked for"}
    if x is not None:
        onnx = export(fitted, task, x, folder)
        if onnx["exported"]:
            files.append(folder / ONNX_FILE)
    manifest["onnx"] = onnx
    (folder / MANIFEST).write_text(json.dumps(manifest))
    return files, onnx


class Predictor:
    """Predicts rows (a DataFrame, dicts by column, or lists in the recipe's column order)."""

    def __init__(self, manifest: dict[str, Any], model: Any,
                 embed: Embed | None = None) -> None:
        self.manifest = manifest
        self.model = model
        self.task = Task(manifest["task"])
        self.classes: list[Any] = manifest["classes"]
        self.recipe = Recipe.model_validate(manifest["recipe"])
        self._embed = embed

    @classmethod
    def load(cls, folder: Path, embed: Embed | None = None) -> Predictor:
        manifest = json.loads((folder / MANIFEST).read_text())
        if manifest.get("format") != FORMAT:
            raise InvalidInput(f"{MANIFEST} is not a Sluice tabular model",
                               code="unknown_model_format")
        if manifest["family"] == "lightgbm":
            import lightgbm

            model: Any = lightgbm.Booster(model_file=str(folder / BOOSTER))
        else:
            model = Linear.from_dict(manifest["linear"])
        return cls(manifest, model, embed)

    def frame(self, rows: Any) -> pd.DataFrame:
        if isinstance(rows, pd.DataFrame):
            return rows
        names = [c.name for c in self.recipe.columns]
        if rows and all(isinstance(r, dict) for r in rows):
            return pd.DataFrame.from_records(rows)
        if rows and all(isinstance(r, (list, tuple)) and len(r) == len(names) for r in rows):
            return pd.DataFrame.from_records(rows, columns=names)
        raise InvalidInput(f"send rows as objects by column, or as lists of {len(names)} "
                           f"values in this order: {', '.join(names)}", code="invalid_inputs")

    def features(self, rows: Any) -> np.ndarray:
        embed = self._embed or (default_embed() if self.recipe.text else None)
        return transform(self.recipe, self.frame(rows), embed)

    def proba(self, rows: Any) -> np.ndarray:
        """Class probabilities (rows by classes), or the predicted numbers."""
        x = self.features(rows)
        out = np.asarray(self.model.predict(x))
        if self.task is Task.BINARY:
            return np.column_stack([1 - out, out])
        return out

    def predict(self, rows: Any) -> list[Any]:
        """Class names, or numbers."""
        out = self.proba(rows)
        if self.task is Task.REGRESSION:
            return [float(v) for v in out]
        return [self.classes[i] for i in np.argmax(out, axis=1)]


def default_embed() -> Embed:
    from sluice.inference.embedders import get_embedder
    from sluice.settings import load_settings

    embedder = get_embedder(Recipe.model_fields["embedder"].default, load_settings())
    return lambda texts: np.asarray(embedder.embed(texts))
