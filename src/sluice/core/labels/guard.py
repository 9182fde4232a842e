"""Running untrusted-quality Python labeling functions safely in the caller's process
tree: each function runs in a forked child with a time limit; an exception or an unknown
class fails that row only; a function past its time limit is stopped and fails the rows
it had not finished."""

from __future__ import annotations

import multiprocessing as mp
import time
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from sluice.core.labels.rules import Outcome

LabelingFn = Callable[[str], Any]
CHUNK = 500


def run_guarded(fn: LabelingFn, keys: Sequence[str], texts: Sequence[str],
                classes: Sequence[str], *, timeout: float) -> Outcome:
    """Votes of ``fn`` over the rows: a class name, or None/"" to abstain."""
    ctx = mp.get_context("fork")
    reader, writer = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, args=(fn, list(texts), set(classes), writer),
                        daemon=True)
    with warnings.catch_warnings():
        # Lance warns that it is not fork-safe; the child never touches Lance (it only
        # calls ``fn`` on strings), and fork is what lets closures and lambdas run there.
        warnings.filterwarnings("ignore", message="lance is not fork-safe")
        child.start()
    writer.close()
    results: list[tuple[Any, str | None]] = []
    deadline = time.monotonic() + timeout
    try:
        while len(results) < len(keys):
            left = deadline - time.monotonic()
            if left <= 0 or not reader.poll(left):
                break
            results.extend(reader.recv())
    except EOFError:
        pass
    finally:
        if child.is_alive():
            child.kill()
        child.join(5)
        reader.close()
    return _outcome(keys, results, timeout)


def _child(fn: LabelingFn, texts: list[str], classes: set[str], writer: Any) -> None:
    batch: list[tuple[Any, str | None]] = []
    for text in texts:
        batch.append(_one(fn, text, classes))
        if len(batch) >= CHUNK:
            writer.send(batch)
            batch = []
    writer.send(batch)
    writer.close()


def _one(fn: LabelingFn, text: str, classes: set[str]) -> tuple[Any, str | None]:
    try:
        vote = fn(text)
    except Exception as exc:  # the function's own bug: this row fails, the others go on
        return None, f"{type(exc).__name__}: {exc}"[:500]
    if vote is None or vote == "":
        return None, None
    if not isinstance(vote, str) or vote not in classes:
        return None, f"returned {vote!r}, which is not a class ({', '.join(sorted(classes))})"
    return vote, None


def _outcome(keys: Sequence[str], results: list[tuple[Any, str | None]],
             timeout: float) -> Outcome:
    out = Outcome()
    for key, (vote, error) in zip(keys, results, strict=False):
        if error:
            out.errors[key] = error
        elif vote:
            out.votes[key] = vote
    for key in keys[len(results):]:
        out.errors[key] = f"stopped: the function ran past its {timeout:g} s limit"
    return out
