"""Dataset references: ``tickets``, ``tickets@3``, ``tickets@latest``."""

from __future__ import annotations

from dataclasses import dataclass

from sluice.core.projects.service import check_name
from sluice.errors import InvalidInput

LATEST = "latest"


@dataclass(frozen=True)
class DatasetRef:
    name: str
    version: int | None  # None means latest

    def __str__(self) -> str:
        return f"{self.name}@{self.version if self.version is not None else LATEST}"


def parse_ref(text: str) -> DatasetRef:
    """Parse ``name[@N|@latest]``.

    Raises:
        InvalidInput: a bad name or version (code ``invalid_name`` / ``invalid_version``).
    """
    if not isinstance(text, str):
        raise InvalidInput("a dataset reference must be a string", code="invalid_name")
    name, sep, version = text.partition("@")
    check_name(name, "dataset")
    if not sep or version == LATEST:
        return DatasetRef(name, None)
    return DatasetRef(name, parse_version(version))


def parse_version(text: str | int) -> int:
    try:
        number = int(text)
    except (TypeError, ValueError):
        number = 0
    if number < 1 or str(text).strip() != str(number):
        raise InvalidInput(
            f"invalid version {text!r}: use a number from 1, or 'latest'",
            code="invalid_version",
        )
    return number
