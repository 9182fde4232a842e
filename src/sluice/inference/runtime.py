"""Process-wide settings for the torch runtime: threads (applied once) and the device."""

from __future__ import annotations

import os
import threading

_lock = threading.Lock()
_threads_set = False


def configure_torch(threads: int) -> None:
    """Set torch's CPU threads once per process; 0 means half the cores (at least one).

    On two shared cores one thread is usually faster than two: the second thread fights
    the web server and the other job for the same core.
    """
    global _threads_set
    with _lock:
        if _threads_set:
            return
        import torch

        torch.set_num_threads(threads or max(1, (os.cpu_count() or 2) // 2))
        _threads_set = True


def quiet_hub() -> None:
    """No download attempts and no progress bars from the Hugging Face libraries."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        hf_logging.set_verbosity_error()  # type: ignore[no-untyped-call]
    except ImportError:  # pragma: no cover - transformers is a dependency
        pass


def cpu_has_bf16() -> bool:
    """Whether the CPU computes bfloat16 natively (AVX512-BF16 or AMX)."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            flags = f.read()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def resolve_device(wanted: str) -> str:
    """The torch device for ``wanted`` (``SLUICE_DEVICE``): ``auto`` is CUDA when torch
    sees a GPU, else the CPU; ``cuda`` without a GPU is an error, not a silent fallback.

    Raises:
        Unavailable: ``device_unavailable``.
    """
    if wanted == "cpu":
        return "cpu"
    import torch

    if torch.cuda.is_available():
        return "cuda"
    if wanted == "cuda":
        from sluice.errors import Unavailable

        raise Unavailable("SLUICE_DEVICE is cuda but torch sees no GPU (a CPU build of "
                          "torch, or no driver); set SLUICE_DEVICE=auto or cpu",
                          code="device_unavailable")
    return "cpu"


def half_dtype(device: str) -> object | None:
    """The 16-bit dtype worth trying on ``device``: bfloat16 where it is native (CUDA
    with bf16, a CPU with AVX512-BF16 or AMX), float16 on other GPUs, else None."""
    import torch

    if device == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.bfloat16 if cpu_has_bf16() else None
