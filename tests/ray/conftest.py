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


def ray_processes(task: str) -> list[Any]:
    """Ray worker processes running ``task`` now (Ray titles them ``ray::<task>``)."""
    import psutil

    found = []
    for process in psutil.process_iter(["cmdline"]):
        cmdline = process.info["cmdline"] or []
        if cmdline and cmdline[0].startswith(f"ray::{task}"):
            found.append(process)
    return found
