"""Labeling pages and their JSON twins, in-process."""

from __future__ import annotations

from typing import Any

import pytest


def _setup(platform: Any) -> list[str]:
    ctx = platform.local_context()
    platform.appends.append(ctx, "notes", [{"text": f"# Note {i}\n\nSome *text* <b>{i}</b>"}
                                           for i in range(4)])
    platform.labels.create_schema(ctx, "notes", "mood", ["calm", "angry"], overlap=1)
    return [i.key for i in platform.labels.queue(ctx, "notes", "mood").items]


def test_create_schema_in_the_page_and_annotate(http: Any, platform: Any) -> None:
    _setup(platform)
    created = http.post("/label", data={"dataset": "notes", "name": "topic",
                                        "classes": "a, b ,c", "kind": "single", "overlap": "1"},
                        follow_redirects=False)
    assert created.status_code == 303 and created.headers["location"] == "/label/notes/topic"
    listed = http.get("/label.json").json()
    assert {s["name"] for s in listed["schemas"]} == {"mood", "topic"}
    page = http.get("/label/notes/mood")
    assert page.status_code == 200 and "annotate.js" in page.text
    assert "<kbd>1</kbd> calm" in page.text
    twin = http.get("/label/notes/mood.json").json()
    key = twin["queue"]["items"][0]["key"]
    html = twin["rendered"][key]
    assert "<h1>Note 0</h1>" in html and "<em>text</em>" in html and "<b>" not in html
    saved = http.post("/label/notes/mood/answer", json={"key": key, "label": "calm"})
    assert saved.status_code == 201 and saved.json()["label"] == "calm"
    bad = http.post("/label/notes/mood/answer", json={"key": key, "label": "sad"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "unknown_class"
    assert http.post("/label/notes/mood/undo").json()["row_key"] == key


def test_the_schemas_page_shows_and_changes_the_text_column(http: Any, platform: Any) -> None:
    ctx = platform.local_context()
    platform.appends.append(ctx, "posts", [{"id": f"p{i}", "body": f"a longer post {i}"}
                                           for i in range(3)])
    platform.labels.create_schema(ctx, "posts", "spam", ["ham", "spam"])
    twin = http.get("/label.json").json()
    assert twin["schemas"][0]["column"] == "body"
    assert twin["text_columns"] == {"posts": ["body", "id"]}
    moved = http.post("/label/posts/spam/column", data={"column": "id"},
                      follow_redirects=False)
    assert moved.status_code == 303 and platform.labels.schemas(ctx)[0].column == "id"
    page = http.get("/label").text
    assert 'aria-label="text column of spam"' in page and "<option selected>id</option>" in page
    bad = http.post("/label/posts/spam/column", data={"column": "nope"})
    assert bad.status_code == 400 and "column_not_found" in bad.text


def test_agreement_page_and_review(http: Any, platform: Any) -> None:
    from sluice.core.context import Role

    keys = _setup(platform)
    owner = platform.local_context()
    for name, labels in (("ann", ["calm", "angry"]), ("bob", ["calm", "calm"])):
        platform.auth.create_user(owner, name, Role.EDITOR)
        person = platform.context(platform.auth.authenticate(
            platform.auth.create_token(owner, "t", user=name).token))
        for key, label in zip(keys[:2], labels, strict=True):
            platform.labels.annotate(person, "notes", "mood", key, label=label)
    twin = http.get("/label/notes/mood/agreement.json").json()
    assert twin["agreement"]["items_compared"] == 2
    assert [d["key"] for d in twin["agreement"]["disagreements"]] == [keys[1]]
    page = http.get("/label/notes/mood/agreement").text
    assert 'id="review"' in page and "ann: angry" in page
    settled = http.post("/label/notes/mood/resolve", data={"key": keys[1], "label": "angry"},
                        follow_redirects=False)
    assert settled.status_code == 303
    assert http.get("/label/notes/mood/agreement.json").json()["resolved"][keys[1]] == "angry"


def test_agreement_with_one_annotator_says_why_it_is_empty(http: Any, platform: Any) -> None:
    keys = _setup(platform)
    platform.labels.annotate(platform.local_context(), "notes", "mood", keys[0], label="calm")
    page = http.get("/label/notes/mood/agreement").text
    assert 'id="agreement-empty"' in page and "only 1 person has answered" in page
    assert 'id="agreement"' in page and "None" not in page  # a dash, not a blank or None
    assert http.get("/label/notes/mood/agreement.json").json()["agreement"][
        "items_compared"] == 0


def _finished(platform: Any, response: Any) -> Any:
    """The apply job a form post redirected to, waited for; its page links back."""
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("/jobs/") and "back=%2Flabel%2F" in location
    job_id = location.split("/")[2].split("?")[0]
    return platform.jobs.wait(platform.local_context(), job_id, timeout=120)


def test_functions_page_creates_and_analyses(http: Any, platform: Any) -> None:
    _setup(platform)
    made = http.post("/label/notes/mood/functions", data={
        "name": "shouty", "kind": "regex", "label": "angry", "rule": r"<b>[0-2]</b>"},
        follow_redirects=False)
    assert _finished(platform, made).state == "succeeded"
    twin = http.get("/label/notes/mood/functions.json").json()
    assert twin["stats"]["shouty"]["coverage"] == 0.75
    page = http.get("/label/notes/mood/functions").text
    assert 'data-function="shouty"' in page and "75.0%" in page
    assert "Fitted without people&#39;s labels · class balance calm 50.0%, angry 50.0%" in page
    bad = http.post("/label/notes/mood/functions", data={
        "name": "broken", "kind": "regex", "label": "angry", "rule": "(unclosed"})
    assert bad.status_code == 400 and "invalid regular expression" in bad.text
    keys = [i.key for i in platform.labels.queue(platform.local_context(), "notes", "mood",
                                                 limit=4).items]
    like = http.post("/label/notes/mood/functions", data={
        "name": "like_first", "kind": "similarity", "label": "calm", "rule": keys[0],
        "threshold": "0.9"}, follow_redirects=False)
    assert _finished(platform, like).state == "succeeded"
    stats = http.get("/label/notes/mood/functions.json").json()["stats"]["like_first"]
    assert stats["kind"] == "similarity" and stats["coverage"] >= 0.25  # the example itself
    far = http.post("/label/notes/mood/functions", data={
        "name": "nope", "kind": "similarity", "label": "calm", "rule": "no-such-row"})
    assert far.status_code == 400 and "example rows not in notes" in far.text


def test_commit_button_makes_a_version(http: Any, platform: Any) -> None:
    keys = _setup(platform)
    ctx = platform.local_context()
    platform.labels.annotate(ctx, "notes", "mood", keys[0], label="calm")
    _finished(platform, http.post("/label/notes/mood/functions", data={
        "name": "shouty", "kind": "regex", "label": "angry", "rule": r"<b>[12]</b>"},
        follow_redirects=False))
    done = http.post("/label/notes/mood/commit", data={"weak": "true"},
                     follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/datasets/notes"
    version = platform.datasets.version(ctx, "notes")
    assert version.operation == "label" and version.number == 2
    columns = {c.name for c in platform.datasets.schema(ctx, "notes")}
    assert {"label_mood", "weak_mood", "weak_mood_confidence"} <= columns
    page = http.get("/datasets/notes")
    assert 'id="label-schemas"' in page.text and 'href="/label/notes/mood/curve"' in page.text
    assert http.get("/datasets/notes.json").json()["label_schemas"][0]["name"] == "mood"


def test_issues_page(http: Any, platform: Any) -> None:
    _setup(platform)
    page = http.get("/label/notes/mood/issues")
    assert page.status_code == 200 and 'id="issues-error"' in page.text  # too few labels


def test_learning_curve_page_and_twin(http: Any, platform: Any) -> None:
    _setup(platform)
    early = http.get("/label/notes/mood/curve")
    assert early.status_code == 200 and 'id="curve-error"' in early.text  # too few labels
    ctx = platform.local_context()
    platform.appends.append(ctx, "notes", [
        {"text": f"calm quiet evening by the lake {i}" if i % 2 else
         f"ANGRY SHOUTING ABOUT TAXES {i}!!!"} for i in range(26)])
    for item in platform.labels.queue(ctx, "notes", "mood", limit=30).items:
        mood = "calm" if "calm" in item.text or "Note" in item.text else "angry"
        platform.labels.annotate(ctx, "notes", "mood", item.key, label=mood)
    page = http.get("/label/notes/mood/curve", params={"strategy": "margin"})
    assert page.status_code == 200 and 'id="curve-chart"' in page.text
    assert 'data-series="margin"' in page.text and 'data-series="random order"' in page.text
    twin = http.get("/label/notes/mood/curve.json", params={"strategy": "margin"}).json()
    curve = twin["curve"]
    assert curve["strategy"] == "margin" and curve["test_rows"] == 6
    assert [n for n, _ in curve["curve"]] == [10, 20, 24] and len(curve["random"]) == 3


def test_span_agreement_page(http: Any, platform: Any) -> None:
    from sluice.core.context import Role
    from sluice.core.labels.models import Span

    owner = platform.local_context()
    platform.appends.append(owner, "ner", [{"text": "see https://a.example now"}])
    platform.labels.create_schema(owner, "ner", "ents", ["URL"], kind="spans", overlap=2)
    key = platform.labels.queue(owner, "ner", "ents").items[0].key
    for name, end in (("ann", 21), ("bob", 12)):
        platform.auth.create_user(owner, name, Role.EDITOR)
        person = platform.context(platform.auth.authenticate(
            platform.auth.create_token(owner, "t", user=name).token))
        platform.labels.annotate(person, "ner", "ents", key,
                                 spans=[Span(start=4, end=end, label="URL")])
    page = http.get("/label/ner/ents/agreement")
    assert page.status_code == 200 and 'id="span-f1"' in page.text
    assert "bob: URL [4-12]" in page.text and "Krippendorff" not in page.text
    taken = http.post("/label/ner/ents/resolve", data={"key": key, "adopt": "ann"},
                      follow_redirects=False)
    assert taken.status_code == 303
    assert platform.labels.resolved_values(owner, "ner", "ents")[key] == [
        {"start": 4, "end": 21, "label": "URL"}]
    assert "URL [4-21]" in http.get("/label/ner/ents/agreement").text  # settled column
    nobody = http.post("/label/ner/ents/resolve", data={"key": key, "adopt": "zed"})
    assert nobody.status_code == 404


def test_annotate_page_says_when_embeddings_are_on_their_way(
        http: Any, platform: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import sluice.core.labels.service as service

    _setup(platform)
    monkeypatch.setattr(service, "INLINE_EMBED", 2)  # 4 texts count as a large dataset
    page = http.get("/label/notes/mood", params={"order": "uncertainty"})
    assert page.status_code == 200 and 'id="preparing"' in page.text
    ctx = platform.local_context()
    job = platform.jobs.list(ctx, kind="labels.vectors")[0]
    assert f'href="/jobs/{job.id}"' in page.text
    assert platform.jobs.wait(ctx, job.id, timeout=120).state == "succeeded"
    ready = http.get("/label/notes/mood.json", params={"order": "uncertainty"}).json()
    assert ready["queue"]["preparing"] is None and ready["queue"]["order"] == "uncertainty"
