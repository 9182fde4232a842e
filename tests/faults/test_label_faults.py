"""Labels under concurrency: people answering the same item at the same moment."""

from __future__ import annotations

import threading
from typing import Any

from sluice.core.context import Role


def test_simultaneous_answers_are_all_kept(db_platform: Any) -> None:
    owner = db_platform.local_context()
    db_platform.appends.append(owner, "items", [{"text": "is this spam?"}])
    db_platform.labels.create_schema(owner, "items", "spam", ["ham", "spam"], overlap=3)
    people = []
    for i in range(6):
        db_platform.auth.create_user(owner, f"p{i}", Role.EDITOR)
        token = db_platform.auth.create_token(owner, "t", user=f"p{i}").token
        people.append(db_platform.context(db_platform.auth.authenticate(token)))
    key = db_platform.labels.queue(owner, "items", "spam").items[0].key
    start = threading.Barrier(len(people))

    def answer(i: int) -> None:
        start.wait()
        db_platform.labels.annotate(people[i], "items", "spam", key,
                                    label="spam" if i % 2 else "ham")

    threads = [threading.Thread(target=answer, args=(i,)) for i in range(len(people))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    answers = db_platform.labels.annotations(owner, "items", "spam", key=key)
    assert sorted(a.source for a in answers) == [f"p{i}" for i in range(6)]
    assert sorted(a.label for a in answers) == ["ham"] * 3 + ["spam"] * 3


def test_a_function_that_fails_whole_does_not_stop_the_others(platform: Any) -> None:
    import pytest

    from sluice.errors import InvalidInput

    ctx = platform.local_context()
    platform.appends.append(ctx, "lfs", [{"text": t} for t in (
        "check out my channel", "great song", "subscribe now", "love it")])
    platform.labels.create_schema(ctx, "lfs", "spam", ["ham", "spam"])
    keys = {r["text"]: r["_key"] for r in platform.datasets.to_arrow(ctx, "lfs").to_pylist()}
    functions = platform.labels.functions
    with pytest.raises(InvalidInput) as unknown:  # refused at once, nothing stored
        functions.create(ctx, "lfs", "spam", "like_ghost", "similarity", label="ham",
                         config={"examples": ["no-such-row"], "threshold": 0.5})
    assert unknown.value.code == "invalid_lf_config"
    functions.create(ctx, "lfs", "spam", "like_song", "similarity", label="ham",
                     config={"examples": [keys["great song"]], "threshold": 0.5})
    functions.create(ctx, "lfs", "spam", "promo", "keyword", label="spam",
                     config={"keywords": ["channel", "subscribe"]})
    functions.apply(ctx, "lfs", "spam")
    platform.datasets.delete_rows(ctx, "lfs", "text = 'great song'")  # its example goes
    applied = {f.name: f.applied for f in functions.apply(ctx, "lfs", "spam")}
    assert applied["promo"]["votes"] == 2 and applied["promo"]["version"] == 2
    assert "example rows not in lfs" in applied["like_song"]["error"]
    assert applied["like_song"]["votes"] >= 1  # the last good run's votes are kept
    assert [f.name for f in functions.list(ctx, "lfs", "spam")] == ["like_song", "promo"]
