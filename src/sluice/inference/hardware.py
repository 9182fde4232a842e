"""What this process computes on: the CPU and its vector features, memory, any GPU torch
sees, the device ``SLUICE_DEVICE`` resolves to, and the precision each loaded model runs
in. ``sluice hardware``, ``GET /api/v1/system/hardware`` and the hardware page read this.

Nothing is loaded to answer: models not yet used are reported as not loaded.
"""

from __future__ import annotations

import os
import platform as host
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from sluice.errors import SluiceError
from sluice.inference.runtime import resolve_device

if TYPE_CHECKING:
    from sluice.settings import Settings

# CPU flags that decide how fast models run here (vector width, int8 and bf16 units).
FEATURES = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16", "amx_int8")


class CpuInfo(BaseModel):
    model: str
    cores: int
    features: list[str]
    memory_gib: float


class GpuInfo(BaseModel):
    index: int
    name: str
    memory_gib: float
    bf16: bool


class DeviceInfo(BaseModel):
    wanted: str  # SLUICE_DEVICE
    resolved: str | None  # None when it cannot be honoured (error says why)
    error: str | None = None
    half: str | None  # the 16-bit dtype tried there, if any
    torch_threads: int
    embed_precision: str  # SLUICE_EMBED_PRECISION
    embed_batch_size: int


class ModelInfo(BaseModel):
    kind: str  # "embedder" or "llm"
    name: str
    device: str
    precision: str


class HardwareReport(BaseModel):
    cpu: CpuInfo
    torch: str
    cuda: str | None  # the CUDA version torch was built with, None for a CPU build
    gpus: list[GpuInfo]
    device: DeviceInfo
    models: list[ModelInfo]


def describe_hardware(settings: Settings) -> HardwareReport:
    import torch

    return HardwareReport(cpu=cpu_info(), torch=str(torch.__version__),
                          cuda=torch.version.cuda, gpus=gpu_info(),
                          device=device_info(settings), models=loaded_models())


def cpu_info() -> CpuInfo:
    text = _read("/proc/cpuinfo")
    model = next((line.split(":", 1)[1].strip() for line in text.splitlines()
                  if line.startswith("model name")), host.processor() or host.machine())
    flags = set(next((line.split(":", 1)[1].split() for line in text.splitlines()
                      if line.startswith("flags")), []))
    return CpuInfo(model=model, cores=os.cpu_count() or 1,
                   features=[f for f in FEATURES if f in flags], memory_gib=_memory_gib())


def _memory_gib() -> float:
    for line in _read("/proc/meminfo").splitlines():
        if line.startswith("MemTotal:"):
            return round(int(line.split()[1]) / 2**20, 1)
    return 0.0


def _read(path: str) -> str:
    try:
        with open(path, encoding="ascii", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def gpu_info() -> list[GpuInfo]:
    import torch

    if not torch.cuda.is_available():
        return []
    found = []
    for index in range(torch.cuda.device_count()):
        props = torch.cuda.get_device_properties(index)
        found.append(GpuInfo(index=index, name=props.name,
                             memory_gib=round(props.total_memory / 2**30, 1),
                             bf16=props.major >= 8))
    return found


def device_info(settings: Settings) -> DeviceInfo:
    import torch

    from sluice.inference.embedders import device_batch_size
    from sluice.inference.runtime import half_dtype

    try:
        resolved: str | None = resolve_device(settings.device)
        error = None
    except SluiceError as exc:
        resolved, error = None, str(exc)
    half = half_dtype(resolved) if resolved else None
    return DeviceInfo(wanted=settings.device, resolved=resolved, error=error,
                      half=_dtype_name(half), torch_threads=torch.get_num_threads(),
                      embed_precision=settings.embed_precision,
                      embed_batch_size=device_batch_size(settings, resolved or "cpu"))


def loaded_models() -> list[ModelInfo]:
    """The bundled models this process has loaded, where and in what precision."""
    from sluice.inference.embedders import EMBEDDERS
    from sluice.inference.llms import LLMS

    found: list[tuple[str, str, object]] = [("embedder", n, p) for n, p in EMBEDDERS.loaded()]
    found += [("llm", n, p) for n, p in LLMS.loaded()]
    return [ModelInfo(kind=kind, name=name, device=str(getattr(p, "device", "remote")),
                      precision=_precision(p)) for kind, name, p in found]


def _precision(provider: Any) -> str:
    if isinstance(getattr(provider, "precision", None), str):
        return str(provider.precision)
    model = getattr(provider, "model", None)
    parameters = getattr(model, "parameters", None)
    if parameters is None:
        return "remote"
    first = next(iter(parameters()), None)
    return _dtype_name(first.dtype if first is not None else None) or "unknown"


def _dtype_name(dtype: object | None) -> str | None:
    return str(dtype).removeprefix("torch.") if dtype is not None else None
