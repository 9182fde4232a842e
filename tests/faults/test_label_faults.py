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
