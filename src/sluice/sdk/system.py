"""``client.system``: the hardware a workspace or server computes on."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

from sluice.inference.hardware import HardwareReport, describe_hardware

if TYPE_CHECKING:
    from sluice.sdk.local import LocalClient
    from sluice.sdk.remote import RemoteClient


class SystemAPI(ABC):
    """``client.system``: where models run here."""

    @abstractmethod
    def hardware(self) -> HardwareReport:
        """The CPU and its features, memory, the GPUs torch sees, the device
        ``SLUICE_DEVICE`` resolves to, and each loaded model's device and precision."""


class LocalSystem(SystemAPI):
    """The hardware of this process."""

    def __init__(self, client: LocalClient) -> None:
        self.settings = client.platform.settings

    def hardware(self) -> HardwareReport:
        return describe_hardware(self.settings)


class RemoteSystem(SystemAPI):
    """The hardware of the server."""

    def __init__(self, client: RemoteClient) -> None:
        self.http = client.http

    def hardware(self) -> HardwareReport:
        return self.http.model(HardwareReport, "GET", "/system/hardware")
