"""LoRA fine-tuning of a causal language model on prompt/response pairs, the engine:
load a base (the bundled SmolLM2 or a local Hugging Face folder), turn pairs into token
batches where only the response is learned, train the adapter with AdamW, and measure the
model before and after (held-out loss and perplexity, and how often a generated answer
contains the reference).

The loop is a plain PEFT loop on purpose: ``bench/lora.py`` holds it to at least 90% of
the tokens per second of the minimal loop a user would write.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sluice.errors import InvalidInput

IGNORE = -100  # label of prompt and padding tokens: not learned
BUNDLED = "smollm2"


@dataclass
class Base:
    name: str  # "smollm2" or the folder
    model: Any
    tokenizer: Any


def load_base(base: str, bundled: Callable[[], Path], device: str = "cpu") -> Base:
    """The base model and its tokenizer, float32 (bf16 on a GPU).

    Raises:
        InvalidInput: ``invalid_base_model`` when ``base`` is neither ``smollm2`` nor a
            folder holding a Hugging Face causal language model.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder = bundled() if base == BUNDLED else Path(base).expanduser()
    if not (folder / "config.json").is_file():
        raise InvalidInput(f"{base!r} is not a model folder (no config.json); name "
                           f"{BUNDLED!r} or a local Hugging Face model folder",
                           code="invalid_base_model", details={"base": base})
    try:
        dtype = torch.bfloat16 if device == "cuda" else torch.float32
        model: Any = AutoModelForCausalLM.from_pretrained(  # safetensors only: no pickle
            str(folder), dtype=dtype, use_safetensors=True)
        model = model.to(device)
        tokenizer = AutoTokenizer.from_pretrained(str(folder))
    except (OSError, ValueError, KeyError) as exc:
        raise InvalidInput(f"could not load a causal language model from {base!r}: {exc}",
                           code="invalid_base_model", details={"base": base}) from exc
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return Base(base if base == BUNDLED else str(folder), model, tokenizer)


Prompt = str | list[dict[str, str]]  # a user message, or a conversation's turns before the reply


def encode(tokenizer: Any, prompt: Prompt, response: str,
           max_length: int) -> tuple[list[int], list[int]]:
    """Token ids of the chat-formatted pair, and labels that learn only the response."""
    head = prompt_ids(tokenizer, prompt)
    tail = tokenizer(response, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
    ids = (head + tail)[:max_length]
    labels = ([IGNORE] * len(head) + tail)[:max_length]
    return ids, labels


def prompt_ids(tokenizer: Any, prompt: Prompt) -> list[int]:
    turns = [{"role": "user", "content": prompt}] if isinstance(prompt, str) else prompt
    ids: Any = tokenizer.apply_chat_template(turns, add_generation_prompt=True, tokenize=True)
    if isinstance(ids, dict) or hasattr(ids, "input_ids"):
        ids = ids["input_ids"]
    return [int(i) for i in ids]


def batches(pairs: Sequence[tuple[list[int], list[int]]], size: int,
            pad: int) -> list[dict[str, Any]]:
    """Right-padded tensors, ``size`` pairs each, in the given order."""
    import torch

    out = []
    for start in range(0, len(pairs), size):
        chunk = pairs[start:start + size]
        width = max(len(ids) for ids, _ in chunk)
        ids = [i + [pad] * (width - len(i)) for i, _ in chunk]
        labels = [lab + [IGNORE] * (width - len(lab)) for _, lab in chunk]
        mask = [[1] * len(i) + [0] * (width - len(i)) for i, _ in chunk]
        out.append({"input_ids": torch.tensor(ids), "labels": torch.tensor(labels),
                    "attention_mask": torch.tensor(mask)})
    return out


def with_lora(model: Any, rank: int, alpha: int, modules: Sequence[str], *,
              seed: int = 0) -> Any:
    """The model with trainable LoRA adapters on ``modules`` (the rest frozen), their
    initial weights drawn from ``seed``."""
    import torch
    from peft import LoraConfig, get_peft_model

    missing = [m for m in modules if not any(n.endswith(m) for n, _ in model.named_modules())]
    if missing:
        raise InvalidInput(f"the base model has no module named {missing[0]!r}",
                           code="invalid_target_modules", details={"modules": missing})
    config = LoraConfig(r=rank, lora_alpha=alpha, target_modules=list(modules),
                        lora_dropout=0.0, bias="none", task_type="CAUSAL_LM")
    torch.manual_seed(seed)
    return get_peft_model(model, config)


OnStep = Callable[[int, float, int], None]  # step, loss, tokens this step


def train(model: Any, data: list[dict[str, Any]], *, steps: int, learning_rate: float,
          on_step: OnStep, device: str = "cpu", seed: int = 0,
          seconds: float = float("inf")) -> tuple[int, float, int]:
    """Up to ``steps`` AdamW steps cycling over ``data``, stopping early once ``seconds``
    have passed; the tokens seen, the seconds taken and the steps done."""
    import torch

    torch.manual_seed(seed)
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=learning_rate)
    tokens, started, done = 0, time.perf_counter(), 0
    for step in range(steps):
        if time.perf_counter() - started > seconds:
            break
        cpu_batch = data[step % len(data)]
        seen = int(cpu_batch["attention_mask"].sum())  # counted on the CPU: no GPU wait
        batch = {k: v.to(device) for k, v in cpu_batch.items()}
        loss = model(**batch).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        tokens += seen
        on_step(step, float(loss.detach()), seen)
        done += 1
    model.eval()
    return tokens, time.perf_counter() - started, done


def evaluate(model: Any, data: list[dict[str, Any]], device: str = "cpu") -> dict[str, float]:
    """Mean loss per learned token on ``data``, and its perplexity."""
    import torch

    total, count = 0.0, 0
    with torch.no_grad():
        for cpu_batch in data:
            batch = {k: v.to(device) for k, v in cpu_batch.items()}
            learned = int((batch["labels"][:, 1:] != IGNORE).sum())
            total += float(model(**batch).loss) * learned
            count += learned
    loss = total / max(count, 1)
    return {"loss": loss, "perplexity": math.exp(min(loss, 50.0))}


def contains(model: Any, tokenizer: Any, pairs: Sequence[tuple[Prompt, str]], *,
             max_new_tokens: int = 48, device: str = "cpu") -> float:
    """Share of prompts whose greedy answer contains the reference (case-insensitive)."""
    import torch

    if not pairs:
        return float("nan")
    hits = 0
    with torch.no_grad():
        for prompt, reference in pairs:
            ids = torch.tensor([prompt_ids(tokenizer, prompt)], device=device)
            out = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids),
                                 max_new_tokens=max_new_tokens, do_sample=False,
                                 pad_token_id=tokenizer.pad_token_id)
            text = tokenizer.decode(out[0, ids.shape[1]:], skip_special_tokens=True)
            hits += reference.strip().lower() in text.lower()
    return hits / len(pairs)


def merge_into(base: Path, adapter: Path, out: Path) -> None:
    """Write ``base`` with the LoRA ``adapter`` merged into its weights, as a whole model
    folder (safetensors and the tokenizer) in ``out``.

    Raises:
        InvalidInput: ``invalid_base_model`` when the folders hold no loadable model.
    """
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        model: Any = AutoModelForCausalLM.from_pretrained(str(base), use_safetensors=True)
        merged = PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()
        tokenizer = AutoTokenizer.from_pretrained(str(base))
    except (OSError, ValueError, KeyError) as exc:
        raise InvalidInput(f"cannot merge the adapter into {base}: {exc}",
                           code="invalid_base_model") from exc
    merged.save_pretrained(str(out), safe_serialization=True)
    tokenizer.save_pretrained(str(out))
