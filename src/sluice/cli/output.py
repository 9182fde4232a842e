"""How the CLI prints: JSON with --json, Rich tables otherwise; errors to exit codes."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

from sluice.errors import (
    AlreadyExists,
    Cancelled,
    Conflict,
    ExternalService,
    Forbidden,
    InvalidInput,
    NotFound,
    RateLimited,
    SluiceError,
    Timeout,
    Unauthorized,
    Unavailable,
)

# The one place errors become exit codes (docs/cli.md lists them).
EXIT_CODES: list[tuple[type[SluiceError], int]] = [
    (InvalidInput, 2),
    (NotFound, 3),
    (AlreadyExists, 4),
    (Conflict, 4),
    (Unauthorized, 5),
    (Forbidden, 5),
    (Timeout, 6),
    (RateLimited, 6),
    (Unavailable, 6),
    (ExternalService, 6),
    (Cancelled, 7),
    (SluiceError, 1),
]

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def exit_code(exc: SluiceError) -> int:
    for cls, code in EXIT_CODES:
        if isinstance(exc, cls):
            return code
    return 1


def to_jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: to_jsonable(v) for k, v in value.items()}
    return value


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(to_jsonable(value), indent=2, default=str) + "\n")


def print_error(exc: SluiceError, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps(exc.to_payload(), indent=2, default=str) + "\n")
    else:
        err.print(f"[bold red]error[/] [dim]({exc.code})[/]: {exc.message}", highlight=False)


def table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    t = Table(title=title, show_lines=False, header_style="bold")
    for col in columns:
        t.add_column(col, overflow="fold")
    for row in rows:
        t.add_row(*("" if v is None else str(v) for v in row))
    out.print(t)


def kv(pairs: Iterable[tuple[str, Any]]) -> None:
    for key, value in pairs:
        out.print(f"[bold]{key}:[/] {'' if value is None else value}", highlight=False)


def short(value: Any, width: int = 60) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= width else text[: width - 1] + "…"
