"""Extractive answers: the sentences of the retrieved passages that best answer the
question, each cited. No generation, so it is fast, cannot loop and cannot invent a fact;
it is shown before (or instead of) the generated answer.

A sentence's score is its embedding's cosine with the question's (the view's embedder)
plus the share of the question's content words it contains, so "which setting sets the
device?" finds the line naming ``SLUICE_DEVICE`` even where wording differs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from sluice.core.rag.models import Citation

MAX_SENTENCES = 2
MAX_CHARS = 500  # of the whole extract
MIN_WORDS = 4
SECOND_WITHIN = 0.85  # a second sentence must score at least this share of the best one
LEXICAL_WEIGHT = 0.5
RANK_WEIGHT = 0.05  # a small nudge towards the passages retrieval ranked first
MAX_CANDIDATES = 200
MAX_CODE_LINE = 160
_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9`\"'(\[*_])")
_MARKUP = re.compile(r"^\s*(?:#{1,6}\s+|[-*+]\s+|\d{1,3}[.)]\s+|>\s*)")
_WORD = re.compile(r"[a-z0-9_]+")
_FENCE = re.compile(r"^\s*(```|~~~)")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}")
_STOP_WORDS = """a an and are as at be by can could do does did for from has have how i
in into is it its of on or that the their then there these this to was what when where which
who whom why will with would you your my me we our they them if not no yes so than too very
just about after before between each other some such only own same more most any all both
also"""
_STOP = frozenset(_STOP_WORDS.split())


@dataclass(frozen=True)
class Sentence:
    text: str
    number: int  # the citation it comes from
    rank: int  # its passage's place in the retrieval order (0 = first)


def content_words(text: str) -> set[str]:
    """Lower-cased words without stop words, crudely stemmed (plural and -ing/-ed)."""
    return {_stem(w) for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 1}


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def sentences(citations: Sequence[Citation]) -> list[Sentence]:
    """Candidate sentences: those of prose paragraphs and list items (hard-wrapped lines
    joined) and table rows, without code, headings or fragments of fewer than MIN_WORDS
    words; a chunk's first piece, when it starts mid-sentence, is dropped."""
    found: list[Sentence] = []
    for rank, c in enumerate(citations):
        for i, block in enumerate(blocks(c.text)):
            pieces = _pieces(block)
            if i == 0 and pieces and pieces[0][:1].islower():
                pieces = pieces[1:]  # the end of a sentence the chunk cut
            found += [Sentence(p, c.number, rank) for p in pieces]
    return found[:MAX_CANDIDATES]


def blocks(text: str) -> list[str]:
    """Markdown paragraphs, list items and table rows, each as one line of text; a
    paragraph that ends with a colon before code keeps the code's first line."""
    out: list[str] = []
    current: list[str] = []
    in_code = lead_in = False

    def flush() -> None:
        if current:
            out.append(" ".join(current))
            current.clear()

    for line in text.splitlines():
        if _FENCE.match(line):
            flush()
            in_code = not in_code
            lead_in = bool(in_code and out and out[-1].endswith(":"))
        elif in_code and lead_in and line.strip():
            out[-1] += f" `{line.strip()[:MAX_CODE_LINE]}`"  # "Run this:" and its command
            lead_in = False
        elif in_code or _TABLE_RULE.match(line) or not line.strip():
            flush()
        elif line.lstrip().startswith(("#", "|")) or _MARKUP.match(line):
            flush()
            if not line.lstrip().startswith("#"):
                current.append(line.strip())
            if line.lstrip().startswith("|"):
                flush()
        else:
            current.append(line.strip())
    flush()
    return out


def _pieces(block: str) -> list[str]:
    text = _MARKUP.sub("", block).strip()
    if text.startswith("|"):
        cells = [cell.strip() for cell in text.strip("|").split("|")]
        text = " · ".join(cell for cell in cells if cell)
    return [p.strip() for p in _SPLIT.split(text) if len(p.split()) >= MIN_WORDS]


def extract(question: str, citations: Sequence[Citation],
            embed: Callable[[list[str]], np.ndarray]) -> list[Sentence]:
    """The best one or two sentences for ``question``, best first."""
    candidates = sentences(citations)
    if not candidates:
        return []
    vectors = embed([question] + [s.text for s in candidates])
    semantic = vectors[1:] @ vectors[0]
    asked = content_words(question)
    scores = [float(sem) + LEXICAL_WEIGHT * _overlap(asked, s.text)
              + RANK_WEIGHT * (1 - s.rank / len(citations))
              for sem, s in zip(semantic, candidates, strict=True)]
    order = sorted(range(len(candidates)), key=lambda i: -scores[i])
    chosen = [candidates[order[0]]]
    for i in order[1:]:
        if len(chosen) >= MAX_SENTENCES or scores[i] < SECOND_WITHIN * scores[order[0]]:
            break
        if not any(_similar(candidates[i].text, c.text) for c in chosen):
            chosen.append(candidates[i])
    return chosen


def _overlap(asked: set[str], text: str) -> float:
    return len(asked & content_words(text)) / len(asked) if asked else 0.0


def _similar(a: str, b: str) -> bool:
    wa, wb = content_words(a), content_words(b)
    return bool(wa | wb) and len(wa & wb) / len(wa | wb) > 0.7


def render(chosen: Sequence[Sentence]) -> str:
    """The sentences as one answer, each followed by its ``[n]``, within MAX_CHARS."""
    parts: list[str] = []
    used = 0
    for s in chosen:
        text = s.text if s.text[-1:] in ".!?:" else s.text + "."
        room = MAX_CHARS - used
        if room < 40:
            break
        if len(text) > room:
            text = text[: room - 1].rsplit(" ", 1)[0] + "…"
        parts.append(f"{text} [{s.number}]")
        used += len(parts[-1]) + 1
    return " ".join(parts)


ATTRIBUTE_SHARE = 0.6  # of a sentence's content words that must come from one passage
ATTRIBUTE_MIN_WORDS = 3
_ANSWER_SENTENCE = re.compile(r"(?<=[.!?])(\s+)|(\n+)")
_HAS_CITE = re.compile(r"\[\d{1,3}\]")


def attribute(answer: str, citations: Sequence[Citation]) -> str:
    """The answer with ``[n]`` added after each sentence that cites nothing but whose
    words mostly come from passage n (small models often forget to cite)."""
    words = [content_words(c.text) for c in citations]
    parts = _ANSWER_SENTENCE.split(answer)
    out: list[str] = []
    for i, part in enumerate(parts):
        if part is None:
            continue
        cite = i % 3 == 0 and part.strip() and not _HAS_CITE.search(part)
        out.append(_cited(part, words, citations) if cite else part)
    return "".join(out)


def _cited(sentence: str, words: list[set[str]], citations: Sequence[Citation]) -> str:
    said = content_words(sentence)
    if len(said) < ATTRIBUTE_MIN_WORDS or not words:
        return sentence
    shares = [len(said & w) / len(said) for w in words]
    best = max(range(len(shares)), key=lambda i: shares[i])
    if shares[best] < ATTRIBUTE_SHARE:
        return sentence
    return f"{sentence.rstrip()} [{citations[best].number}]"
