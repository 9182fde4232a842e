"""How deeply a JSON document nests, measured without parsing it.

Python's parser recurses once per level (a 100,000-deep body raises RecursionError) and
Arrow refuses nesting past its own limit after the rows were accepted; both are refused
here first. The scan is linear whatever the input (a regular expression over strings can
be driven quadratic by unterminated ones): with NumPy, a quote is a string delimiter when
an even number of backslashes precede it, a bracket counts when an even number of
delimiters precede it, and the depth is the running sum of the counted brackets.

Only UTF-8 is accepted: ``json.loads`` also decodes UTF-16 and UTF-32, whose bytes this
scan (and every byte-level check) would misread.
"""

from __future__ import annotations

import json

import numpy as np

from sluice.errors import InvalidInput

CHUNK = 1 << 20
_QUOTE, _BACKSLASH = ord('"'), ord("\\")
_STEP = np.zeros(256, dtype=np.int8)
_STEP[ord("[")] = _STEP[ord("{")] = 1
_STEP[ord("]")] = _STEP[ord("}")] = -1


def json_depth(raw: bytes) -> int:
    """The deepest nesting of arrays and objects in ``raw`` (0 for a scalar), read in
    1 MiB chunks so the scan's memory stays small for any body."""
    if b"[" not in raw and b"{" not in raw:
        return 0
    scan = _Scan()
    for start in range(0, len(raw), CHUNK):
        scan.feed(np.frombuffer(raw, dtype=np.uint8, count=min(CHUNK, len(raw) - start),
                                offset=start))
    return scan.deepest


class _Scan:
    """What one chunk hands to the next: the backslashes it ended with, whether it ended
    inside a string, and the depth there."""

    def __init__(self) -> None:
        self.backslashes = 0
        self.inside = 0
        self.depth = 0
        self.deepest = 0

    def feed(self, data: np.ndarray) -> None:
        quotes = data == _QUOTE
        if quotes.any():
            delimiters = quotes & ~self._escaped(data)
            inside = (np.cumsum(delimiters, dtype=np.int32) + self.inside) & 1
            steps = np.where((inside == 0) & ~delimiters, _STEP[data], 0)
        else:
            inside = np.full(len(data), self.inside, dtype=np.int32)
            steps = _STEP[data] if not self.inside else np.zeros(len(data), dtype=np.int8)
            self._escaped(data)  # keep the backslash count
        depths = self.depth + np.cumsum(steps, dtype=np.int64)
        self.deepest = max(self.deepest, int(depths.max()))
        self.depth, self.inside = int(depths[-1]), int(inside[-1])

    def _escaped(self, data: np.ndarray) -> np.ndarray:
        """Whether each byte follows an odd run of backslashes (runs may start in an
        earlier chunk); remembers the run the chunk ends with."""
        backslash = data == _BACKSLASH
        if not backslash.any():
            escaped = np.zeros(len(data), dtype=bool)
            escaped[0] = self.backslashes % 2 == 1  # a run carried from the last chunk
            self.backslashes = 0
            return escaped
        index = np.arange(len(data), dtype=np.int32)
        last_other = np.maximum.accumulate(np.where(backslash, -1, index))
        before = np.empty_like(last_other)  # the last non-backslash before each byte
        before[0], before[1:] = -1, last_other[:-1]
        run = np.where(before >= 0, index - 1 - before, index + self.backslashes)
        self.backslashes = (self.backslashes + len(data) if last_other[-1] < 0
                            else len(data) - 1 - int(last_other[-1]))
        return (run & 1).astype(bool)


def check_json_depth(raw: bytes, limit: int) -> None:
    """Raise InvalidInput when ``raw`` is not UTF-8 (``invalid_json_encoding``) or nests
    deeper than ``limit`` (``json_too_deep``)."""
    if raw and json.detect_encoding(raw) not in ("utf-8", "utf-8-sig"):
        raise InvalidInput("JSON bodies must be UTF-8", code="invalid_json_encoding")
    if raw.count(b"{") + raw.count(b"[") <= limit:
        return  # cannot nest deeper than it has openers (the common small body)
    depth = json_depth(raw)
    if depth > limit:
        raise InvalidInput(f"the JSON body nests {depth} levels deep; the limit is {limit} "
                           "(max_json_depth)", code="json_too_deep",
                           details={"depth": depth, "limit": limit})
