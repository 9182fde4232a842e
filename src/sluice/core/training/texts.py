"""Embeddings of text columns for training, with the bundled MiniLM: each distinct text
is embedded once per process (a search embeds every row, its refit and held-out check
reuse them, and a second search of the same column embeds nothing new)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from sluice.core.labels.vectors import Known, embed_with

if TYPE_CHECKING:
    from sluice.settings import Settings

EMBEDDER = "minilm"
MAX_KEPT = 200_000  # texts' vectors kept per project in this process (about 300 MB)
_KNOWN: dict[str, Known] = {}


class TextVectors:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def embed(self, project: str, texts: list[str],
              on_progress: Callable[[int, int], None] | None = None) -> np.ndarray:
        from sluice.inference.embedders import get_embedder

        embedder = get_embedder(EMBEDDER, self.settings)
        known = _KNOWN.get(project, Known.empty())
        vectors, updated = embed_with(known, texts,
                                      lambda part: np.asarray(embedder.embed(part)), on_progress)
        if updated is not None:
            merged = updated.merge(known)
            _KNOWN[project] = merged if len(merged.digests) <= MAX_KEPT else updated
        return vectors.astype(np.float32, copy=False)
