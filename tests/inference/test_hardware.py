"""What models run on, at every door: the CPU and its features, memory, GPUs, the device
``SLUICE_DEVICE`` resolves to and each loaded model's precision."""

from __future__ import annotations

import os

import pytest
import torch
from fastapi.testclient import TestClient

from sluice.inference.embedders import get_embedder
from sluice.inference.hardware import FEATURES, HardwareReport, cpu_info, describe_hardware

GPU = torch.cuda.is_available()


def test_the_report_describes_this_machine(make_settings) -> None:
    report = describe_hardware(make_settings(device="auto"))
    assert report.cpu.cores == os.cpu_count() and report.cpu.memory_gib > 0.5
    assert set(report.cpu.features) <= set(FEATURES)
    with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
        flags = f.read()
    assert ("avx2" in report.cpu.features) == (" avx2" in flags)
    assert report.torch == torch.__version__
    assert len(report.gpus) == torch.cuda.device_count() if GPU else report.gpus == []
    assert report.device.resolved == ("cuda" if GPU else "cpu") and report.device.error is None
    assert report.device.torch_threads == torch.get_num_threads()


def test_an_impossible_device_is_reported_not_raised(make_settings,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    device = describe_hardware(make_settings(device="cuda")).device
    assert device.resolved is None and device.half is None
    assert device.error is not None and "SLUICE_DEVICE" in device.error


def test_loaded_models_show_their_device_and_precision(make_settings) -> None:
    embedder = get_embedder("minilm", make_settings(device="cpu"))
    models = describe_hardware(make_settings(device="cpu")).models
    found = [m for m in models if m.kind == "embedder" and m.name == "minilm"]
    assert found and {m.device for m in found} >= {"cpu"}
    assert embedder.precision in {m.precision for m in found}  # type: ignore[attr-defined]


def test_the_cpu_model_falls_back_when_proc_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sluice.inference.hardware._read", lambda path: "")
    cpu = cpu_info()
    assert cpu.model and cpu.features == [] and cpu.memory_gib == 0.0


def test_sdk_local_and_remote(door_client) -> None:
    report = door_client.system.hardware()
    assert isinstance(report, HardwareReport) and report.cpu.cores == os.cpu_count()


def test_rest_needs_a_token_and_is_documented(http, anon) -> None:
    body = http.get("/api/v1/system/hardware").json()
    assert body["cpu"]["cores"] == os.cpu_count() and "device" in body
    assert anon.get("/api/v1/system/hardware").status_code == 401
    spec = http.get("/openapi.json").json()
    assert "/api/v1/system/hardware" in spec["paths"]


def test_the_page_and_its_twin(app, admin_token) -> None:
    with TestClient(app, base_url="http://testserver") as web:
        web.post("/login", data={"token": admin_token, "next": "/hardware"})
        data = web.get("/hardware.json").json()
        html = web.get("/hardware").text
    assert data["cpu"]["cores"] == os.cpu_count()
    assert data["cpu"]["model"] in html and 'id="device"' in html
    assert ('id="no-gpu"' in html) == (not GPU)
