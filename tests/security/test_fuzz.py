"""Schemathesis over every operation of the OpenAPI document, against a real `sluice up`
with seeded data: no 5xx, and every documented response matches its schema.

Routes that start consumers against external services get a safe fixture: the server's
``stream_hosts`` allows only a closed local port, so a fuzzed consumer fails at once and
never reaches the machine's shared Redis. ``FUZZ_SEED=random`` runs with a fresh seed;
``FUZZ_EXAMPLES`` sets the examples per operation (default 10).
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import LiveServer, free_port

pytestmark = pytest.mark.slow
SEED = 20261130
CHECKS = "not_a_server_error,response_schema_conformance"
SAFE = {"stream_hosts": "127.0.0.1:1", "llm_max_tokens": "4", "workers": "1",
        "stream_workers": "2"}


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path_factory.mktemp("fuzz") / "home", free_port(), **SAFE)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _seed(server: LiveServer) -> dict[str, list[str]]:
    """Datasets, a label schema, a run with an artifact and a registered model, a view:
    names the fuzzer can use, so it reaches past "not found"."""
    api = httpx.Client(base_url=server.url + "/api/v1", timeout=120,
                       headers={"Authorization": f"Bearer {server.token}"})
    tickets = [{"id": i, "text": f"ticket {i} about billing", "score": i / 3} for i in range(20)]
    api.post("/datasets/tickets/rows", json={"rows": tickets, "key_column": "id"}
             ).raise_for_status()
    api.post("/datasets/notes/rows", json={"rows": [{"text": f"note {i} on rivers"}
                                                    for i in range(5)]}).raise_for_status()
    api.post("/datasets/tickets/labels", json={"name": "urgent", "classes": ["no", "yes"],
                                               "column": "text"}).raise_for_status()
    api.post("/experiments", json={"name": "fuzz", "exist_ok": True}).raise_for_status()
    run = api.post("/runs", json={"experiment": "fuzz"}).json()["id"]
    api.post(f"/runs/{run}/log", json={"metrics": [{"key": "acc", "value": 0.5, "timestamp": 1,
                                                     "step": 0}]})
    api.put(f"/runs/{run}/artifacts/model/weights.txt", content=b"w").raise_for_status()
    api.post("/models", json={"name": "m"}).raise_for_status()
    api.post("/models/m/versions", json={"source": f"runs:/{run}/model"}).raise_for_status()
    api.put("/models/m/aliases/staging", json={"version": 1}).raise_for_status()
    api.post("/views", json={"name": "notes_chunks", "source": "notes"}).raise_for_status()
    jobs = [j["id"] for j in api.get("/jobs").json()]
    key = api.get("/datasets/tickets/rows", params={"limit": 1}).json()["rows"][0]["_key"]
    return {"names": ["tickets", "notes", "notes_chunks", "m"],
            "refs": ["tickets", "tickets@1", "notes@latest", "1", "staging"],
            "schemas": ["urgent"], "runs": [run], "jobs": jobs or ["0" * 26],
            "aliases": ["staging"], "versions": ["1"], "keys": [key],
            "paths": ["model/weights.txt", "model"]}


def _config(server: LiveServer, values: dict[str, list[str]]) -> str:
    bindings = {"path.name": "names", "path.dataset": "names", "path.ref": "refs",
                "path.schema": "schemas", "path.run_id": "runs", "path.job_id": "jobs",
                "path.alias": "aliases", "path.version": "versions", "path.key": "keys",
                "path.path": "paths"}
    lines = [f'headers = {{ Authorization = "Bearer {server.token}" }}', "", "[parameters]",
             '"header.x-sluice-project" = "default"']
    lines += [f'"{key}" = {{ dictionary = "{name}", probability = 0.8 }}'
              for key, name in bindings.items()]
    for name, items in values.items():
        quoted = ", ".join(f'"{v}"' for v in items)
        lines += ["", f"[dictionaries.{name}]", f"values = [{quoted}]"]
    return "\n".join(lines) + "\n"


def test_no_operation_answers_5xx_or_breaks_its_schema(fuzz_server: LiveServer,
                                                       tmp_path: Path) -> None:
    config = tmp_path / "schemathesis.toml"
    config.write_text(_config(fuzz_server, _seed(fuzz_server)))
    seed = os.environ.get("FUZZ_SEED", str(SEED))
    seed = str(random.randrange(2**32)) if seed == "random" else seed
    command = [str(Path(sys.executable).parent / "schemathesis"), "--config-file", str(config),
               "run", f"{fuzz_server.url}/openapi.json", "--checks", CHECKS,
               "--max-examples", os.environ.get("FUZZ_EXAMPLES", "10"), "--seed", seed,
               "--phases", "coverage,fuzzing", "--workers", "2", "--request-timeout", "60",
               "--no-shrink", "--max-failures", "20"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900,
                          stdin=subprocess.DEVNULL, cwd=tmp_path, check=False)
    report: Any = done.stdout[-8000:]
    assert done.returncode == 0, f"schemathesis (seed {seed}) found problems:\n{report}"
    assert "152 selected" in done.stdout or "Tested:" in done.stdout
