"""How deeply a JSON document nests, measured without parsing it.

Python's parser recurses once per level (a 100,000-deep body raises RecursionError) and
Arrow refuses nesting past its own limit after the rows were accepted; both are refused
here first. Strings are blanked out with one regular expression, then the depth is the
running sum of opening and closing brackets, computed with NumPy: a few milliseconds for
megabytes, microseconds for a typical request.
"""

from __future__ import annotations

import re

import numpy as np

from sluice.errors import InvalidInput

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(rb"[^\[\]{}]+")
_STEP = np.zeros(256, dtype=np.int8)
_STEP[ord("[")] = _STEP[ord("{")] = 1
_STEP[ord("]")] = _STEP[ord("}")] = -1


def json_depth(raw: bytes) -> int:
    """The deepest nesting of arrays and objects in ``raw`` (0 for a scalar)."""
    if b"[" not in raw and b"{" not in raw:
        return 0
    brackets = _NOT_BRACKET.sub(b"", _STRING.sub(b'""', raw))
    if not brackets:
        return 0
    steps = _STEP[np.frombuffer(brackets, dtype=np.uint8)].astype(np.int32)
    return int(np.cumsum(steps).max())


def check_json_depth(raw: bytes, limit: int) -> None:
    """Raise InvalidInput (``json_too_deep``) when ``raw`` nests deeper than ``limit``."""
    depth = json_depth(raw)
    if depth > limit:
        raise InvalidInput(f"the JSON body nests {depth} levels deep; the limit is {limit} "
                           "(max_json_depth)", code="json_too_deep",
                           details={"depth": depth, "limit": limit})
