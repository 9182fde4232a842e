"""The one place Sluice connects to Ray: the cluster at ``ray_address``, or a local Ray
started for this process (no dashboard, ``ray_cpus`` CPUs). Inside a Ray task the
connection already exists and is reused, so jobs on Ray can start Ray tasks of their own.
"""

from __future__ import annotations

import threading
from types import ModuleType
from typing import TYPE_CHECKING

from sluice.errors import Unavailable

if TYPE_CHECKING:
    from sluice.settings import Settings

_LOCK = threading.Lock()
_CONNECTED_HERE = False


def connect(settings: Settings) -> ModuleType:
    """The ``ray`` module, connected.

    Raises:
        Unavailable: ``ray_not_installed``; ``ray_unavailable`` when the cluster cannot
            be reached.
    """
    global _CONNECTED_HERE
    try:
        import ray
    except ImportError:
        raise Unavailable("this needs Ray, which is not installed: pip install "
                          "'sluice[ray]'", code="ray_not_installed") from None
    with _LOCK:
        if ray.is_initialized():
            return ray
        try:
            if settings.ray_address:
                ray.init(address=settings.ray_address, log_to_driver=False)
            else:
                ray.init(num_cpus=settings.ray_cpus, include_dashboard=False,
                         log_to_driver=False)
            _CONNECTED_HERE = True
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise Unavailable(f"cannot reach Ray at {settings.ray_address or 'a local Ray'}: "
                              f"{exc}; check ray_address and that the cluster is up",
                              code="ray_unavailable") from None
    return ray


def cpus(ray: ModuleType) -> int:
    """CPUs the connected cluster has."""
    return max(1, int(ray.cluster_resources().get("CPU", 1)))


def gpus(ray: ModuleType) -> int:
    return int(ray.cluster_resources().get("GPU", 0))


def disconnect() -> None:
    """Leave Ray: a local Ray this process started stops; a cluster runs on."""
    global _CONNECTED_HERE
    with _LOCK:
        if not _CONNECTED_HERE:
            return
        import ray

        ray.shutdown()
        _CONNECTED_HERE = False
