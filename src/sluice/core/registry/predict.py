"""Prediction with a registered model version, on every door.

A version's files never change, so a loaded model is kept (a few per process, least
recently used dropped first) instead of being loaded again for each call. Only safe formats
load: a pickle is always refused here.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from pydantic import BaseModel

from sluice.core.context import Ctx
from sluice.core.registry.loading import LoadedModel
from sluice.core.registry.models import ModelVersion
from sluice.core.registry.service import ModelHub, RegistryService
from sluice.errors import InvalidInput

MAX_ROWS = 10_000
Key = tuple[str, str, int, int]


class Prediction(BaseModel):
    name: str
    version: int
    format: str
    predictions: list[Any]


class PredictService:
    def __init__(self, registry: RegistryService, hub: ModelHub, *, keep: int = 4) -> None:
        self.registry, self.hub, self.keep = registry, hub, max(1, keep)
        self._models: OrderedDict[Key, LoadedModel] = OrderedDict()
        self._lock = threading.Lock()
        self._loading: dict[Key, threading.Lock] = {}
        self.loads = 0  # how many times a model was read from its files (for tests)

    def predict(self, ctx: Ctx, name: str, ref: int | str, inputs: list[Any]) -> Prediction:
        """Predict ``inputs`` (rows of features) with version ``ref`` (a number, ``latest``
        or an alias) of model ``name``."""
        if not isinstance(inputs, list) or not 1 <= len(inputs) <= MAX_ROWS:
            raise InvalidInput(f"send 1..{MAX_ROWS} rows (a list of lists)",
                               code="invalid_inputs")
        version = self.registry.version(ctx, name, ref)
        model = self._model(ctx, version)
        try:
            output = model.predict(inputs)
        except (ValueError, TypeError) as exc:
            raise InvalidInput(f"the model could not take these rows: {exc}",
                               code="invalid_inputs") from exc
        values = output.tolist() if hasattr(output, "tolist") else list(output)
        return Prediction(name=version.name, version=version.version, format=model.format,
                          predictions=values)

    def _model(self, ctx: Ctx, version: ModelVersion) -> LoadedModel:
        key = (ctx.project_id, version.name, version.version, version.created_ms)
        with self._lock:
            gate = self._loading.setdefault(key, threading.Lock())
        with gate:  # one load per version, however many callers arrive at once
            with self._lock:
                if key in self._models:
                    self._models.move_to_end(key)
                    return self._models[key]
            model = self.hub.load(ctx, f"models:/{version.name}/{version.version}")
            with self._lock:
                self.loads += 1
                self._models[key] = model
                while len(self._models) > self.keep:
                    self._models.popitem(last=False)
                self._loading.pop(key, None)
            return model
