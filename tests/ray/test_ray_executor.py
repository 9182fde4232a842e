"""Jobs on the Ray executor (``SLUICE_EXECUTOR=ray``): a training job runs as a Ray task in
another process, its trials as Ray tasks of their own, and its runs and model land in the
same workspace; cancelling stops it and registers nothing; a job whose Ray worker is
SIGKILLed is failed with ``worker_died``, not left running."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sluice.platform import Platform
from sluice.settings import Settings
from tests.ray.conftest import ray_processes
from tests.training.test_training_doors import cancel_after_two_trials, cancer_frame

pytestmark = [pytest.mark.ray, pytest.mark.slow, pytest.mark.xdist_group("ray")]


@pytest.fixture
def ray_client(ray_cluster: Any, make_settings: Callable[..., Settings],
               tmp_path: Path) -> Iterator[Any]:
    from sluice.sdk.local import LocalClient

    platform = Platform.open(make_settings(executor="ray"))
    platform.bootstrap()
    client = LocalClient(platform, platform.local_context(), owns_platform=False)
    path = tmp_path / "cancer.csv"
    cancer_frame().to_csv(path, index=False)
    client.ingest(str(path), "cancer")
    try:
        yield client
    finally:
        platform.close()


def test_a_training_job_and_its_trials_run_on_ray(ray_client: Any) -> None:
    training = ray_client.train("cancer", "diagnosis", budget=10, max_trials=4,
                                register="ray-model", timeout=180)
    r = training.result
    assert training.state == "succeeded" and r.registered == {"name": "ray-model",
                                                              "version": 1}
    assert "Ray task" in r.trials_on and "Ray task" in r.report
    assert r.trials == 5 and r.best.score > 0.97
    job = ray_client.jobs.get(training.id)
    assert not job.worker.endswith(f":{os.getpid()}")  # a Ray worker ran it, not us
    children = ray_client.runs.search([training.experiment_id],
                                      filter=f"tags.mlflow.parentRunId = '{training.run_id}'")
    assert len(children.runs) == 5
    assert ray_client.models.card("ray-model").safe_format


def test_cancel_on_ray_stops_the_job_and_registers_nothing(ray_client: Any) -> None:
    cancel_after_two_trials(ray_client, within=120)


def test_a_job_whose_ray_worker_is_killed_fails_with_worker_died(ray_client: Any) -> None:
    started = ray_client.train("cancer", "diagnosis", budget=600, register="never",
                               wait=False)
    deadline = time.monotonic() + 120
    while (ray_client.jobs.get(started.id).state != "running"
           or not ray_processes("_run_job_on_ray")):
        assert time.monotonic() < deadline, "the job never started on Ray"
        time.sleep(0.2)
    [job_process] = [p for p in ray_processes("_run_job_on_ray")
                     if p.pid == int(ray_client.jobs.get(started.id).worker.split(":")[1])]
    job_process.send_signal(signal.SIGKILL)
    while ray_client.jobs.get(started.id).state == "running":
        assert time.monotonic() < deadline + 60, "the job was left running"
        time.sleep(0.2)
    job = ray_client.jobs.get(started.id)
    assert job.state == "failed" and job.error["code"] == "worker_died"
    assert ray_client.models.list() == []
