"""What a document parser returns, and how it says it could not parse."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ParsedDoc:
    """Text (Markdown where the parser gives it) and facts extracted from one file."""

    text: str
    parser: str
    title: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    thumbnail: bytes | None = None


class ParseFailure(Exception):
    """A file that cannot be parsed; becomes a row with status 'error' and this code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __reduce__(self) -> tuple[Any, ...]:
        return (ParseFailure, (self.code, self.message))


@dataclass(frozen=True)
class Limits:
    max_text_chars: int = 20_000_000
    thumbnail_px: int = 256
    max_inflated_bytes: int = 512 * 1024**2
    memory_bytes: int = 2 * 1024**3  # the parser process's address space (RLIMIT_AS)
