"""Where the bundled models run (``SLUICE_DEVICE``): CUDA when torch sees a GPU, else the
CPU; asking for CUDA without one is a clear error. The ``gpu`` tests are left out where
there is no GPU and run on a GPU machine (``scripts/gpu-check.sh``)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sluice.errors import InvalidInput, Unavailable
from sluice.inference.embedders import GPU_BATCH, device_batch_size, get_embedder
from sluice.inference.runtime import resolve_device
from sluice.settings import load_settings

GPU = torch.cuda.is_available()
needs_gpu = pytest.mark.gpu  # deselected without a GPU (tests/conftest.py)


def test_auto_picks_what_torch_sees_and_cpu_is_always_cpu() -> None:
    assert resolve_device("auto") == ("cuda" if GPU else "cpu")
    assert resolve_device("cpu") == "cpu"


def test_cuda_without_a_gpu_is_an_error_not_a_fallback(make_settings,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # also on a GPU machine
    with pytest.raises(Unavailable) as err:
        resolve_device("cuda")
    assert err.value.code == "device_unavailable" and "SLUICE_DEVICE" in str(err.value)
    with pytest.raises(Unavailable):
        get_embedder("minilm", make_settings(device="cuda"))


def test_the_setting_is_read_and_checked(tmp_path) -> None:
    assert load_settings(env={"SLUICE_DEVICE": "cpu"}, home=tmp_path).device == "cpu"
    assert load_settings(env={}, home=tmp_path).device == "auto"
    with pytest.raises(InvalidInput):
        load_settings(env={"SLUICE_DEVICE": "tpu"}, home=tmp_path)


def test_batches_are_sized_to_the_device(tmp_path) -> None:
    default = load_settings(env={}, home=tmp_path)
    assert device_batch_size(default, "cpu") == 64
    assert device_batch_size(default, "cuda") == GPU_BATCH
    chosen = load_settings(env={}, home=tmp_path, embed_batch_size=200)
    assert device_batch_size(chosen, "cuda") == 200


def test_the_cpu_embedder_stays_on_the_cpu(make_settings) -> None:
    embedder = get_embedder("minilm", make_settings(device="cpu"))
    assert embedder.device == "cpu"  # type: ignore[attr-defined]
    assert embedder.embed(["a sentence"]).shape == (1, 384)


@needs_gpu
def test_the_gpu_embedder_agrees_with_the_cpu(make_settings) -> None:
    texts = ["Basalt forms when lava cools quickly.", "Steep green tea at 80 degrees."] * 8
    cpu = get_embedder("minilm", make_settings(device="cpu")).embed(texts)
    gpu = get_embedder("minilm", make_settings(device="cuda"))
    assert gpu.device == "cuda"  # type: ignore[attr-defined]
    assert float(np.min((cpu * gpu.embed(texts)).sum(axis=1))) >= 0.99


@needs_gpu
def test_the_gpu_llm_generates(make_settings) -> None:
    from sluice.inference.llms import Usage, get_llm

    llm = get_llm(make_settings(device="cuda"))
    usage = Usage()
    text = "".join(llm.stream([{"role": "user", "content": "Say hello."}], max_tokens=8,
                              usage=usage))
    assert llm.device == "cuda" and text and usage.completion_tokens > 0  # type: ignore[attr-defined]
