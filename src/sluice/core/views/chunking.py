"""A Markdown-aware recursive splitter.

Text is cut at headings first (outside code fences), so a chunk never spans two sections
and carries its heading path. A section longer than the chunk size is split at the
coarsest separator that works (blank line, line, sentence, word), and the pieces are
packed back into chunks of at most ``size`` tokens, each starting with up to ``overlap``
tokens of the one before. Chunks keep their character offsets into the source text.

Tokens are counted as words and punctuation marks, close to what WordPiece embedders see
for English prose.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from sluice.errors import InvalidInput

_TOKEN = re.compile(r"\w+|[^\w\s]")
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_SEPARATORS = ("\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ")
MAX_CHUNK_TOKENS = 8192
CHARS_PER_TOKEN = 8  # a "token" longer than this (a URL, base64) is cut by characters


@dataclass(frozen=True)
class ChunkSpec:
    size: int = 200
    overlap: int = 30

    def __post_init__(self) -> None:
        if not 8 <= self.size <= MAX_CHUNK_TOKENS:
            raise InvalidInput(f"chunk size must be 8..{MAX_CHUNK_TOKENS} tokens",
                               code="invalid_chunk_size")
        if not 0 <= self.overlap < self.size // 2 + 1:
            raise InvalidInput("chunk overlap must be between 0 and half the chunk size",
                               code="invalid_chunk_overlap")


@dataclass(frozen=True)
class Chunk:
    index: int
    text: str
    heading: str
    start: int
    end: int
    tokens: int


def count_tokens(text: str) -> int:
    return len(_TOKEN.findall(text))


def chunk_text(text: str, spec: ChunkSpec) -> list[Chunk]:
    """Chunks of ``text`` in order; empty text gives no chunks."""
    chunks: list[Chunk] = []
    for heading, start, end in _sections(text):
        for s, e in _pack(text, _pieces(text, start, end, spec.size), spec):
            body = text[s:e].strip()
            if body:
                first = s + len(text[s:e]) - len(text[s:e].lstrip())
                chunks.append(Chunk(len(chunks), body, heading, first, first + len(body),
                                    count_tokens(body)))
    return chunks


def _sections(text: str) -> list[tuple[str, int, int]]:
    """(heading path, start, end) of each section; headings inside code fences don't count."""
    bounds: list[tuple[int, list[str]]] = [(0, [])]
    path: list[str] = []
    in_fence = False
    offset = 0
    for line in text.splitlines(keepends=True):
        if _FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence and (m := _HEADING.match(line.rstrip("\r\n"))):
            level = len(m.group(1))
            path = path[:level - 1] + [""] * max(0, level - 1 - len(path)) + [m.group(2)]
            bounds.append((offset, [p for p in path if p]))
        offset += len(line)
    ends = [b[0] for b in bounds[1:]] + [len(text)]
    return [(" > ".join(p), s, e) for (s, p), e in zip(bounds, ends, strict=True) if e > s]


def _pieces(text: str, start: int, end: int, size: int, level: int = 0) -> list[tuple[int, int]]:
    """Spans of at most ``size`` tokens covering text[start:end], cut as coarsely as possible."""
    if count_tokens(text[start:end]) <= size and end - start <= size * CHARS_PER_TOKEN:
        return [(start, end)]
    if level >= len(_SEPARATORS):
        return _hard_split(text, start, end, size)
    sep = _SEPARATORS[level]
    spans: list[tuple[int, int]] = []
    cursor = start
    while cursor < end:
        found = text.find(sep, cursor, end)
        stop = end if found < 0 else found + len(sep)
        spans.append((cursor, stop))
        cursor = stop
    if len(spans) == 1:
        return _pieces(text, start, end, size, level + 1)
    out: list[tuple[int, int]] = []
    for s, e in spans:
        out.extend(_pieces(text, s, e, size, level + 1))
    return out


def _hard_split(text: str, start: int, end: int, size: int) -> list[tuple[int, int]]:
    """Cut a run with no separators (a long URL, base64) every ``size`` tokens."""
    marks = [m.start() + start for m in _TOKEN.finditer(text[start:end])]
    cuts = set(marks[size::size]) | set(range(start, end, size * CHARS_PER_TOKEN))
    edges = sorted(cuts | {start, end})
    return [(a, b) for a, b in itertools.pairwise(edges) if b > a]


def _pack(text: str, pieces: list[tuple[int, int]], spec: ChunkSpec) -> list[tuple[int, int]]:
    """Greedily join pieces into chunks of at most ``spec.size`` tokens with overlap."""
    sizes = [max(count_tokens(text[s:e]), (e - s) // CHARS_PER_TOKEN) for s, e in pieces]
    chunks: list[tuple[int, int]] = []
    first = 0
    while first < len(pieces):
        last, total = first, sizes[first]
        while last + 1 < len(pieces) and total + sizes[last + 1] <= spec.size:
            last += 1
            total += sizes[last]
        chunks.append((pieces[first][0], pieces[last][1]))
        if last + 1 >= len(pieces):
            break
        first = _overlap_start(sizes, first, last, spec.overlap)
    return chunks


def _overlap_start(sizes: list[int], first: int, last: int, overlap: int) -> int:
    """Where the next chunk starts: back from ``last + 1`` by up to ``overlap`` tokens."""
    start, carried = last + 1, 0
    while start - 1 > first and carried + sizes[start - 1] <= overlap:
        start -= 1
        carried += sizes[start]
    return start
