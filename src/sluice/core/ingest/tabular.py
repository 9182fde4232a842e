"""Reading table files (CSV, TSV, JSON lines, Parquet, Excel) into Arrow."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq

from sluice.core.datasets.rows import check_columns, clean_column_names
from sluice.core.ingest.archives import ZIP_EXTENSIONS, ArchiveTooLarge, check_archive
from sluice.core.ingest.encoding import decode_text
from sluice.errors import InvalidInput

READERS = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl",
           ".parquet": "parquet", ".xlsx": "excel", ".xls": "excel"}


def read_table(path: Path, extension: str, *, max_inflated: int = 512 * 1024**2
               ) -> tuple[pa.Table, dict[str, object]]:
    """Read one table file; returns the table and facts about the read.

    Raises:
        InvalidInput: the file is not a readable table (code ``table_unreadable``), or an
            archive (xlsx) that unpacks past ``max_inflated`` (``archive_too_large``).
    """
    kind = READERS.get(extension)
    if kind is None:
        raise InvalidInput(f"{path.name}: {extension or 'no extension'} is not a table format "
                           f"({', '.join(sorted(READERS))})", code="unsupported_format")
    try:
        if extension in ZIP_EXTENSIONS:
            check_archive(path, max_inflated)
    except ArchiveTooLarge as exc:
        raise InvalidInput(f"{path.name}: {exc.message}", code="archive_too_large",
                           details={"file": path.name}) from exc
    try:
        table, facts = _READ[kind](path)
    except InvalidInput:
        raise
    except (pa.ArrowException, ValueError, OSError, KeyError) as exc:
        raise InvalidInput(f"{path.name} is not a readable {kind} file: {_first_line(exc)}",
                           code="table_unreadable", details={"file": path.name}) from exc
    table, renamed = clean_column_names(table)
    check_columns(table.schema)
    if renamed:
        facts["renamed_columns"] = renamed
    return table, facts


def _csv(path: Path, delimiter: str = ",") -> tuple[pa.Table, dict[str, object]]:
    data = path.read_bytes()
    if not data.strip():
        raise InvalidInput(f"{path.name} is empty", code="empty_file")
    text, encoding = decode_text(data)
    table = pacsv.read_csv(
        io.BytesIO(text.encode("utf-8")),
        parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
        read_options=pacsv.ReadOptions(block_size=16 * 1024 * 1024),
    )
    return table, {"encoding": encoding}


def _tsv(path: Path) -> tuple[pa.Table, dict[str, object]]:
    return _csv(path, "\t")


def _jsonl(path: Path) -> tuple[pa.Table, dict[str, object]]:
    if not path.stat().st_size:
        raise InvalidInput(f"{path.name} is empty", code="empty_file")
    try:
        return pajson.read_json(path), {}
    except pa.ArrowInvalid:
        return _jsonl_slow(path), {"reader": "python"}


def _jsonl_slow(path: Path) -> pa.Table:
    """Line by line, to name the line that is broken."""
    text, _ = decode_text(path.read_bytes())
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"{path.name} line {number} is not JSON: {exc.msg}",
                               code="table_unreadable", details={"line": number}) from exc
        if not isinstance(row, dict):
            raise InvalidInput(f"{path.name} line {number} is not a JSON object",
                               code="table_unreadable", details={"line": number})
        rows.append(row)
    return pa.Table.from_pylist(rows)


def _parquet(path: Path) -> tuple[pa.Table, dict[str, object]]:
    return pq.read_table(path), {}


def _excel(path: Path) -> tuple[pa.Table, dict[str, object]]:
    import pandas as pd

    sheets = pd.read_excel(path, sheet_name=None, dtype=object)
    frames = [df.assign(sheet=name) if len(sheets) > 1 else df for name, df in sheets.items()]
    frames = [f for f in frames if not f.empty]
    if not frames:
        raise InvalidInput(f"{path.name} has no rows", code="empty_file")
    frame = pd.concat(frames, ignore_index=True)
    frame.columns = [str(c) for c in frame.columns]
    return pa.Table.from_pandas(_infer(frame), preserve_index=False), {"sheets": list(sheets)}


def _infer(frame: Any) -> Any:
    """Excel cells arrive as objects: let pandas find numbers and dates, else use text."""
    import pandas as pd

    frame = frame.infer_objects()
    for col in frame.columns:
        if frame[col].dtype == object:
            frame[col] = frame[col].map(lambda v: None if pd.isna(v) else str(v))
    return frame


_READ = {"csv": _csv, "tsv": _tsv, "jsonl": _jsonl, "parquet": _parquet, "excel": _excel}


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:500] if text else type(exc).__name__
