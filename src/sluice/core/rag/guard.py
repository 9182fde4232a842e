"""Degenerate output: small models loop ("-o -o -o …", one sentence thirteen times) or
start a new prompt ("Question: …"). The guard watches the answer as it grows, for any
generator, says when to stop, and trims what should not be shown.
"""

from __future__ import annotations

import re
import threading

MIN_SPAN = 24  # characters a repeated tail must cover before it counts as a loop
MIN_REPEATS = 3
MAX_PERIOD = 240  # longest repeated unit looked for, in characters
MIN_SENTENCE = 16  # shorter repeated sentences ("Yes.") are not a loop
STOP_MARKERS = ("\nQuestion:", "\nSources:", "\nUser:", "\nAnswer:", "<|im_end|>",
                "<|im_start|>")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_NORMAL = re.compile(r"[\W\d_]+")


class Linked(threading.Event):
    """An event that is also set when ``parent`` is: stops a generation for the guard's
    reasons without touching the caller's cancel event."""

    def __init__(self, parent: threading.Event | None) -> None:
        super().__init__()
        self.parent = parent

    def is_set(self) -> bool:
        return super().is_set() or (self.parent is not None and self.parent.is_set())


def looping_tail(text: str) -> tuple[int, int] | None:
    """``(period, start)`` when the text ends in MIN_REPEATS or more copies of one unit
    covering at least MIN_SPAN characters; ``start`` is where the copies begin."""
    for period in range(1, min(MAX_PERIOD, len(text) // MIN_REPEATS) + 1):
        repeats = max(MIN_REPEATS, -(-MIN_SPAN // period))
        span = period * repeats
        if span > len(text):
            continue
        unit = text[-period:]
        if unit.strip() and text[-span:] == unit * repeats:
            start = len(text) - span
            while start >= period and text[start - period:start] == unit:
                start -= period
            return period, start
    return None


def _key(sentence: str) -> str:
    return _NORMAL.sub(" ", sentence.lower()).strip()


def repeated_sentence(text: str) -> bool:
    """Some sentence or line of at least MIN_SENTENCE characters occurs MIN_REPEATS times."""
    seen: dict[str, int] = {}
    for piece in _SENTENCE_END.split(text):
        key = _key(piece)
        if len(key) >= MIN_SENTENCE:
            seen[key] = seen.get(key, 0) + 1
            if seen[key] >= MIN_REPEATS:
                return True
    return False


def stop_marker(text: str) -> int | None:
    """Where the model began writing a new prompt turn, if it did."""
    found = [i for i in (text.find(m) for m in STOP_MARKERS) if i >= 0]
    return min(found) if found else None


class Guard:
    """Feed the growing answer; ``reason`` becomes ``repetition`` or ``stop`` when the
    generation should end, and :meth:`clean` gives the text worth showing."""

    def __init__(self) -> None:
        self.reason: str | None = None

    def check(self, text: str) -> bool:
        if stop_marker(text) is not None:
            self.reason = "stop"
        elif looping_tail(text[-MAX_PERIOD * MIN_REPEATS:]) or repeated_sentence(text):
            self.reason = "repetition"
        return self.reason is not None

    @staticmethod
    def clean(text: str) -> str:
        """The text without a new prompt turn, a looping tail (one copy kept) or a sentence
        repeated (its first occurrence kept)."""
        cut = stop_marker(text)
        if cut is not None:
            text = text[:cut]
        tail = looping_tail(text)
        if tail is not None:
            period, start = tail
            text = text[: start + period]
        return _dedupe_sentences(text).strip()


def _dedupe_sentences(text: str) -> str:
    pieces = re.split(r"((?<=[.!?])\s+|\n+)", text)
    kept: list[str] = []
    seen: set[str] = set()
    skip_separator = False
    for i, piece in enumerate(pieces):
        if i % 2:  # a separator
            if not skip_separator:
                kept.append(piece)
            continue
        key = _key(piece)
        skip_separator = len(key) >= MIN_SENTENCE and key in seen
        if not skip_separator:
            kept.append(piece)
            seen.add(key)
    return "".join(kept)
