"""Redis Streams into a dataset: a consumer group, micro-batches, one version per batch.

Each message becomes a row keyed ``<stream>:<message id>``, and rows whose key is
stored already are skipped, so a batch that is delivered again after a crash (read,
committed, but not yet acknowledged) is not stored twice. A message is acknowledged
only after the version holding it is recorded. Messages that are not valid rows go to
``<stream>:dead`` with the reason, and are acknowledged so they do not block the group.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import redis

from sluice.core.jobs.context import JobContext
from sluice.errors import ExternalService, InvalidInput

DATA_FIELDS = ("json", "data", "row")


@dataclass
class StreamConfig:
    url: str  # without credentials: the one shown in messages
    stream: str
    group: str
    dataset: str
    batch_rows: int = 500
    batch_seconds: float = 1.0
    key_column: str | None = None
    stop_after_idle: float | None = None  # seconds without messages; None runs until cancelled
    secret_url: str | None = None  # with credentials: only used to connect

    @classmethod
    def from_params(cls, params: dict[str, Any], secret_url: str | None = None) -> StreamConfig:
        fields = {k: params[k] for k in cls.__dataclass_fields__ if k in params}
        return cls(**{**fields, "secret_url": secret_url})


@dataclass
class Batch:
    ids: list[str] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    started: float = 0.0


def decode_message(fields: dict[bytes, bytes]) -> dict[str, Any]:
    """A message's row: the JSON object in a 'json'/'data'/'row' field, else the fields."""
    text = {k.decode("utf-8", "replace"): v.decode("utf-8", "replace") for k, v in fields.items()}
    if len(text) == 1 and next(iter(text)) in DATA_FIELDS:
        value = json.loads(next(iter(text.values())))
        if not isinstance(value, dict):
            raise ValueError("the JSON payload is not an object")
        return value
    return text


class RedisStreamConsumer:
    def __init__(self, config: StreamConfig, job: JobContext, commit: Any) -> None:
        self.cfg = config
        self.job = job
        self.commit = commit  # fn(rows, keys) -> version number
        self.client = redis.Redis.from_url(config.secret_url or config.url, socket_timeout=30,
                                           socket_connect_timeout=5)
        self.consumer = f"sluice-{job.id}"
        self.stats = {"rows": 0, "batches": 0, "dead": 0}

    def run(self) -> dict[str, Any]:
        self._call(self._ensure_group)
        self._drain(self._claim_stale())
        last_message = time.monotonic()
        batch = Batch()
        while not self.job.cancelled:
            got = self._read(batch)
            if got:
                last_message = time.monotonic()
            if batch.ids and (len(batch.ids) >= self.cfg.batch_rows or
                              time.monotonic() - batch.started >= self.cfg.batch_seconds):
                self._flush(batch)
                batch = Batch()
            if self._idle_stop(last_message, batch):
                break
        if batch.ids:
            self._flush(batch)
        return self.stats

    def _idle_stop(self, last: float, batch: Batch) -> bool:
        idle = self.cfg.stop_after_idle
        return idle is not None and not batch.ids and time.monotonic() - last >= idle

    def _ensure_group(self) -> None:
        try:
            self.client.xgroup_create(self.cfg.stream, self.cfg.group, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def _claim_stale(self) -> list[tuple[bytes, dict[bytes, bytes]]]:
        """Messages a dead consumer of the group read but never acknowledged."""
        claimed: list[tuple[bytes, dict[bytes, bytes]]] = []
        start = "0-0"
        while True:
            reply = self._call(self.client.xautoclaim, self.cfg.stream, self.cfg.group,
                               self.consumer, min_idle_time=0, start_id=start, count=500)
            start, messages = reply[0], reply[1]
            claimed.extend(m for m in messages if m[1] is not None)
            if start in (b"0-0", "0-0") or not messages:
                return claimed

    def _drain(self, messages: list[tuple[bytes, dict[bytes, bytes]]]) -> None:
        for start in range(0, len(messages), self.cfg.batch_rows):
            batch = Batch(started=time.monotonic())
            for msg_id, fields in messages[start:start + self.cfg.batch_rows]:
                self._add(batch, msg_id, fields)
            self._flush(batch)

    def _read(self, batch: Batch) -> bool:
        block = int(self.cfg.batch_seconds * 1000) if not batch.ids else 50
        reply = self._call(self.client.xreadgroup, self.cfg.group, self.consumer,
                           {self.cfg.stream: ">"}, count=self.cfg.batch_rows, block=block)
        for _stream, messages in reply or []:
            for msg_id, fields in messages:
                if not batch.ids:
                    batch.started = time.monotonic()
                self._add(batch, msg_id, fields)
        return bool(reply)

    def _add(self, batch: Batch, msg_id: bytes, fields: dict[bytes, bytes]) -> None:
        ident = msg_id.decode()
        try:
            batch.rows.append(decode_message(fields))
            batch.ids.append(ident)
        except (ValueError, UnicodeError) as exc:
            self._dead(ident, fields, str(exc))

    def _dead(self, ident: str, fields: dict[bytes, bytes], reason: str) -> None:
        payload = {b"id": ident.encode(), b"reason": reason.encode(), **fields}
        self._call(self.client.xadd, f"{self.cfg.stream}:dead", payload)
        self._call(self.client.xack, self.cfg.stream, self.cfg.group, ident)
        self.stats["dead"] += 1
        self.job.log(f"message {ident} is not a valid row ({reason}); moved to "
                     f"{self.cfg.stream}:dead", level="WARNING")

    def _flush(self, batch: Batch) -> None:
        if not batch.ids:
            return
        try:
            self._commit(batch.ids, batch.rows)
        except InvalidInput:
            self._commit_one_by_one(batch)
        self.stats["batches"] += 1
        self.job.progress(self.stats["rows"], None,
                          f"{self.stats['rows']} rows in {self.stats['batches']} batches")

    def _commit(self, ids: list[str], rows: list[dict[str, Any]]) -> None:
        self.commit(rows, [f"{self.cfg.stream}:{i}" for i in ids])
        self._call(self.client.xack, self.cfg.stream, self.cfg.group, *ids)
        self.stats["rows"] += len(ids)

    def _commit_one_by_one(self, batch: Batch) -> None:
        """A batch whose rows do not fit the dataset: keep the good rows, dead-letter the rest."""
        for ident, row in zip(batch.ids, batch.rows, strict=True):
            try:
                self._commit([ident], [row])
            except InvalidInput as exc:
                fields = {k.encode(): str(v).encode() for k, v in row.items()}
                self._dead(ident, fields, f"{exc.code}: {exc.message}")

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except redis.RedisError as exc:
            reason = str(exc).replace(self.cfg.secret_url or "\0", self.cfg.url)
            raise ExternalService(f"Redis at {self.cfg.url} failed: {reason[:300]}",
                                  code="redis_unavailable") from exc
