"""One real local Ray for the session (two CPUs, no dashboard: about 1 GB), shared by the
Ray tests, which run on one xdist worker."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[Any]:
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        yield ray
    finally:
        ray.shutdown()


@pytest.fixture(autouse=True)
def _one_worker_for_ray(request: pytest.FixtureRequest) -> None:
    """Under ``--dist loadgroup`` every Ray test runs on the worker holding the Ray (the
    group suffix proves xdist grouped it; a pytest that drops it would split them)."""
    if request.config.getoption("dist", "no") == "loadgroup" or \
            getattr(request.config.option, "loadgroup", False):
        assert request.node.nodeid.endswith("@ray"), "xdist did not group the Ray tests"


def ray_processes(task: str) -> list[Any]:
    """This test process's Ray workers running ``task`` now (Ray titles them
    ``ray::<task>``); another xdist worker's Ray is not ours to touch."""
    import psutil

    found = []
    for process in psutil.Process().children(recursive=True):
        try:
            cmdline = process.cmdline()
        except psutil.Error:
            continue
        if cmdline and cmdline[0].startswith(f"ray::{task}"):
            found.append(process)
    return found
