"""Label schemas, answers, the queue, undo, agreement and review through every client."""

from __future__ import annotations

from typing import Any

import pytest

from sluice.core.labels.models import Answer, Span
from sluice.errors import AlreadyExists, Conflict, InvalidInput, NotFound

COMMENTS = ["check out my channel", "great song", "subscribe plz", "love this",
            "free money http://x", "best video ever"]


@pytest.fixture
def keys(client: Any) -> list[str]:
    client.datasets.append("comments", [{"text": t, "n": i} for i, t in enumerate(COMMENTS)])
    client.labels.create_schema("comments", "spam", ["ham", "spam"], overlap=2)
    return [i.key for i in client.labels.queue("comments", "spam", limit=10).items]


def test_schema_rules(client: Any, keys: list[str]) -> None:
    schema = client.labels.schemas("comments")[0]
    assert (schema.name, schema.column, schema.classes, schema.overlap) == (
        "spam", "text", ["ham", "spam"], 2)
    with pytest.raises(AlreadyExists):
        client.labels.create_schema("comments", "spam", ["a", "b"])
    with pytest.raises(InvalidInput) as one:
        client.labels.create_schema("comments", "x", ["only"])
    assert one.value.code == "invalid_classes"
    with pytest.raises(InvalidInput) as col:
        client.labels.create_schema("comments", "y", ["a", "b"], column="n")
    assert col.value.code == "column_not_found"
    with pytest.raises(NotFound):
        client.labels.queue("comments", "nope")


def test_the_default_column_holds_the_texts_and_can_be_changed(client: Any) -> None:
    """On ``id, author, comment`` the schema labels the comments, not the ids; a column
    named ``text`` wins outright; a span schema with answers keeps its column."""
    client.datasets.append("posts", [
        {"id": f"p{i}", "author": f"user{i}", "comment": t} for i, t in enumerate(COMMENTS)])
    schema = client.labels.create_schema("posts", "spam", ["ham", "spam"])
    assert schema.column == "comment"
    assert client.labels.text_columns("posts", "spam") == ["comment", "author", "id"]
    assert client.labels.set_column("posts", "spam", "author").column == "author"
    assert client.labels.schemas("posts")[0].column == "author"
    with pytest.raises(InvalidInput) as bad:
        client.labels.set_column("posts", "spam", "nope")
    assert bad.value.code == "column_not_found"
    client.datasets.append("short", [{"text": "a", "body": "a much longer body"}])
    assert client.labels.create_schema("short", "s", ["a", "b"]).column == "text"
    spans = client.labels.create_schema("posts", "urls", ["URL"], kind="spans")
    key = client.labels.queue("posts", "urls", limit=1).items[0].key
    client.labels.annotate("posts", "urls", key, spans=[Span(start=0, end=1, label="URL")])
    with pytest.raises(Conflict) as moved:
        client.labels.set_column("posts", "urls", "author")
    assert moved.value.code == "spans_need_their_column"
    assert client.labels.schemas("posts")[1].column == spans.column == "comment"


def test_queue_answers_progress_and_undo(client: Any, keys: list[str]) -> None:
    assert len(keys) == 6
    client.labels.annotate("comments", "spam", keys[0], label="spam")
    client.labels.annotate("comments", "spam", keys[1], label="ham")
    client.labels.annotate("comments", "spam", keys[2], skip=True)
    queue = client.labels.queue("comments", "spam", limit=10)
    assert [i.key for i in queue.items] == keys[3:]  # mine are done, skipped ones too
    assert (queue.mine, queue.skipped, queue.done, queue.total) == (3, 1, 0, 6)
    undone = client.labels.undo("comments", "spam")
    assert undone.skipped and undone.retracted
    after = client.labels.queue("comments", "spam")
    assert after.items[0].key == keys[2] and (after.mine, after.skipped) == (2, 0)
    with pytest.raises(InvalidInput) as bad:
        client.labels.annotate("comments", "spam", keys[3], label="eggs")
    assert bad.value.code == "unknown_class"
    with pytest.raises(NotFound) as missing:
        client.labels.annotate("comments", "spam", "no-such-key", label="ham")
    assert missing.value.code == "row_not_found"


def test_every_labeling_session_commits_a_version(client: Any, keys: list[str]) -> None:
    before = client.datasets.version("comments").number
    with client.labels.session("comments", "spam") as session:
        session.annotate(keys[0], label="spam")
        session.annotate(keys[1], label="ham")
    assert session.answers == 2 and session.version == before + 1
    rows = client.datasets.to_arrow(f"comments@{session.version}").to_pylist()
    assert {r["_key"]: r["label_spam"] for r in rows}[keys[0]] == "spam"
    with client.labels.session("comments", "spam") as idle:
        pass
    assert idle.version is None  # nothing changed: no new version
    result = client.labels.record_answers("comments", "spam", [
        Answer(key=keys[2], label="spam"), Answer(key="no-such-key", label="ham"),
        Answer(key=keys[3], label="eggs"), Answer(key=keys[4], label="spam")], finish=True)
    assert result.saved == 2 and result.version == before + 2
    assert [(e.key, e.code) for e in result.errors] == [("no-such-key", "row_not_found"),
                                                        (keys[3], "unknown_class")]
    unfinished = client.labels.record_answers("comments", "spam",
                                              [Answer(key=keys[5], label="ham")])
    assert unfinished.version is None
    assert client.datasets.version("comments").number == before + 2
    assert client.labels.finish_session("comments", "spam").number == before + 3
    # the block's error shows, and its answers land
    with pytest.raises(InvalidInput) as bad, \
            client.labels.session("comments", "spam") as broken:
        broken.annotate(keys[0], label="ham")  # a person's newest answer is theirs
        broken.annotate(keys[1], label="eggs")
    assert bad.value.code == "unknown_class" and broken.version == before + 4
    assert client.labels.resolved("comments", "spam")[keys[0]] == "ham"
    with pytest.raises(NotFound):
        client.labels.record_answers("comments", "nope", [Answer(key=keys[0], label="ham")])


def test_spans_and_multi_label(client: Any, keys: list[str]) -> None:
    client.labels.create_schema("comments", "entities", ["URL", "ASK"], kind="spans")
    client.labels.create_schema("comments", "topics", ["music", "promo"], kind="multi")
    text = COMMENTS[4]
    start = text.index("http")
    saved = client.labels.annotate("comments", "entities", keys[4],
                                   spans=[Span(start=start, end=len(text), label="URL")])
    assert saved.spans[0].label == "URL"
    with pytest.raises(InvalidInput) as outside:
        client.labels.annotate("comments", "entities", keys[4],
                               spans=[Span(start=0, end=999, label="URL")])
    assert outside.value.code == "invalid_span"
    multi = client.labels.annotate("comments", "topics", keys[0], labels=["promo", "music"])
    assert multi.labels == ["music", "promo"]
    reviewed = client.labels.resolve("comments", "topics", keys[0], adopt=multi.source)
    assert reviewed.labels == ["music", "promo"] and reviewed.source_kind == "review"
    with client.labels.session("comments", "topics") as session:  # sessions of any kind
        session.annotate(keys[1], labels=["music"])
    assert session.version is not None
    spans = client.labels.finish_session("comments", "entities")
    assert spans is not None and spans.number == session.version + 1
    rows = {r["_key"]: r for r in client.datasets.to_arrow("comments").to_pylist()}
    assert rows[keys[0]]["label_topics"] == ["music", "promo"]
    assert rows[keys[1]]["label_topics"] == ["music"] and rows[keys[2]]["label_topics"] is None
    assert rows[keys[4]]["label_entities"] == [{"start": start, "end": len(text),
                                                "label": "URL"}]


def test_local_answers_keep_every_answer_and_review_settles(platform: Any) -> None:
    """Two people on the same items: both answers kept; agreement; a review decides."""
    from sluice.core.context import Role
    from sluice.sdk.local import LocalClient

    owner = platform.local_context()
    platform.appends.append(owner, "comments", [{"text": t} for t in COMMENTS])
    platform.labels.create_schema(owner, "comments", "spam", ["ham", "spam"], overlap=2)
    for name in ("ann", "bob"):
        platform.auth.create_user(owner, name, Role.EDITOR)
    ann = platform.context(platform.auth.authenticate(
        platform.auth.create_token(owner, "a", user="ann").token))
    bob = platform.context(platform.auth.authenticate(
        platform.auth.create_token(owner, "b", user="bob").token))
    keys = [i.key for i in platform.labels.queue(ann, "comments", "spam", limit=6).items]
    truth = ["spam", "ham", "spam", "ham", "spam", "ham"]
    bobs = ["spam", "ham", "spam", "ham", "ham", "ham"]  # disagrees on item 4
    for key, a, b in zip(keys, truth, bobs, strict=True):
        platform.labels.annotate(ann, "comments", "spam", key, label=a)
        platform.labels.annotate(bob, "comments", "spam", key, label=b)
    answers = platform.labels.annotations(owner, "comments", "spam", key=keys[4])
    assert sorted((a.source, a.label) for a in answers) == [("ann", "spam"), ("bob", "ham")]
    result = platform.labels.agreement(owner, "comments", "spam")
    assert result.items_compared == 6 and result.annotators == ["ann", "bob"]
    assert 0 < result.krippendorff_alpha < 1 and "ann|bob" in result.cohen_kappa
    assert [d["key"] for d in result.disagreements] == [keys[4]]
    queue = platform.labels.queue(owner, "comments", "spam")
    assert queue.done == 6 and queue.items == []  # two answers each: done
    platform.labels.resolve(owner, "comments", "spam", keys[4], "spam")
    local = LocalClient(platform, owner, owns_platform=False)
    assert local.labels.resolved("comments", "spam") == dict(zip(keys, truth, strict=True))


def test_multi_label_agreement_is_per_class(platform: Any) -> None:
    from sluice.core.context import Role

    owner = platform.local_context()
    platform.appends.append(owner, "songs", [{"text": f"song {i}"} for i in range(3)])
    platform.labels.create_schema(owner, "songs", "tags", ["happy", "loud"], kind="multi",
                                  overlap=2)
    keys = [i.key for i in platform.labels.queue(owner, "songs", "tags", limit=3).items]
    answers = {"ann": [["happy"], ["happy", "loud"], ["loud"]],
               "bob": [["happy"], ["loud"], ["loud"]]}
    for name, labels in answers.items():
        platform.auth.create_user(owner, name, Role.EDITOR)
        person = platform.context(platform.auth.authenticate(
            platform.auth.create_token(owner, "t", user=name).token))
        for key, chosen in zip(keys, labels, strict=True):
            platform.labels.annotate(person, "songs", "tags", key, labels=chosen)
    result = {c.label: c for c in platform.labels.agreement(owner, "songs", "tags").per_class}
    assert result["happy"].positive_agreement == pytest.approx(2 / 3)  # 2 agree, 1 not
    assert result["loud"].positive_agreement == pytest.approx(1.0)  # both, twice


def test_span_agreement_is_pairwise_f1(platform: Any) -> None:
    from sluice.core.context import Role

    owner = platform.local_context()
    texts = ["see https://a.example now", "call me tomorrow"]
    platform.appends.append(owner, "notes", [{"text": t} for t in texts])
    platform.labels.create_schema(owner, "notes", "ents", ["URL", "TIME"], kind="spans",
                                  overlap=2)
    keys = {i.text: i.key for i in platform.labels.queue(owner, "notes", "ents").items}
    url, time = Span(start=4, end=21, label="URL"), Span(start=8, end=16, label="TIME")
    answers = {"ann": {texts[0]: [url], texts[1]: [time]},
               "bob": {texts[0]: [url], texts[1]: [Span(start=8, end=12, label="TIME")]}}
    for name, by_text in answers.items():
        platform.auth.create_user(owner, name, Role.EDITOR)
        person = platform.context(platform.auth.authenticate(
            platform.auth.create_token(owner, "t", user=name).token))
        for text, spans in by_text.items():
            platform.labels.annotate(person, "notes", "ents", keys[text], spans=spans)
    result = platform.labels.agreement(owner, "notes", "ents")
    assert result.items_compared == 2 and result.span_f1 == pytest.approx(0.5)
    per_label = {c.label: c.positive_agreement for c in result.per_class}
    assert per_label == {"URL": 1.0, "TIME": 0.0}  # "tomorrow" vs "tomo": no exact match
    assert [d["key"] for d in result.disagreements] == [keys[texts[1]]]
    assert result.disagreements[0]["answers"]["bob"] == "TIME [8-12]"


def test_prepare_vectors_is_a_job(client: Any, keys: list[str]) -> None:
    job = client.labels.prepare_vectors("comments", "spam")
    done = client.jobs.wait(job.id, timeout=120)
    assert done.state == "succeeded" and done.result["rows"] == len(COMMENTS)
    with pytest.raises(NotFound):
        client.labels.prepare_vectors("comments", "nope")
