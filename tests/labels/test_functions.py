"""Labeling functions through every client: no-code kinds, Python functions that fail,
loop or answer nonsense, and the analysis table."""

from __future__ import annotations

from typing import Any

import pytest

import sluice
from sluice.errors import InvalidInput

ROWS = ["check out my channel http://x", "great song", "subscribe to my channel",
        "love this song so much", "free money http://y", "best song ever",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!"]
SPAMMY = {0, 2, 4}


@pytest.fixture
def ready(client: Any) -> list[str]:
    client.datasets.append("yt", [{"text": t, "len": len(t)} for t in ROWS])
    client.labels.create_schema("yt", "spam", ["ham", "spam"])
    keys = client.datasets.to_arrow("yt").column("_key").to_pylist()
    for i in (0, 1, 2, 3):  # people labeled four rows
        client.labels.annotate("yt", "spam", keys[i], label="spam" if i in SPAMMY else "ham")
    return keys


def test_no_code_functions_and_analysis(client: Any, ready: list[str]) -> None:
    labels = client.labels
    labels.create_function("yt", "spam", "kw_channel", "keyword", label="spam",
                           config={"keywords": ["channel", "subscribe"]})
    labels.create_function("yt", "spam", "re_link", "regex", label="spam",
                           config={"pattern": r"https?://"})
    labels.create_function("yt", "spam", "sql_song", "sql", label="ham",
                           config={"predicate": "text LIKE '%song%'"})
    with pytest.raises(InvalidInput) as bad:
        labels.create_function("yt", "spam", "bad", "regex", label="spam",
                               config={"pattern": "(unclosed"})
    assert bad.value.code == "invalid_lf_config"
    with pytest.raises(InvalidInput):
        labels.create_function("yt", "spam", "eggs", "keyword", label="eggs",
                               config={"keywords": ["x"]})
    applied = {f.name: f.applied for f in labels.apply("yt", "spam")}
    assert {k: v["votes"] for k, v in applied.items()} == {
        "kw_channel": 2, "re_link": 2, "sql_song": 3}
    report = labels.analysis("yt", "spam")
    stats = {s.name: s for s in report.functions}
    assert stats["kw_channel"].coverage == pytest.approx(2 / 7)
    assert stats["kw_channel"].polarity == ["spam"]
    assert stats["re_link"].overlap == pytest.approx(1 / 7)  # row 0: link and channel
    assert stats["sql_song"].accuracy == 1.0 and stats["kw_channel"].accuracy == 1.0
    assert report.coverage == pytest.approx(6 / 7) and report.labeled_by_people == 4
    assert report.majority_vote_accuracy == 1.0


def test_python_functions_fail_per_row_and_stop_when_too_slow(client: Any,
                                                              ready: list[str]) -> None:
    @sluice.labeling_function()
    def shouting(text: str) -> str | None:
        if text.startswith("a"):
            raise ValueError("no vowels allowed")
        return "spam" if "!" in text or "http" in text else None

    @sluice.labeling_function(name="nonsense")
    def says_eggs(text: str) -> str | None:
        return "eggs" if "song" in text else None

    @sluice.labeling_function()
    def forever(text: str) -> str | None:
        while "song" in text:
            pass
        return None

    result = {f.name: f.applied for f in client.labels.apply_python(
        "yt", "spam", [shouting, says_eggs, forever], timeout=3)}
    assert result["shouting"]["votes"] == 2 and result["shouting"]["failures"] == 1
    assert result["nonsense"]["votes"] == 0 and result["nonsense"]["failures"] == 3
    assert result["forever"]["failures"] >= 5  # stopped at the first song, rows after fail
    report = {s.name: s for s in client.labels.analysis("yt", "spam").functions}
    assert report["shouting"].failures == 1 and report["shouting"].coverage == pytest.approx(2 / 7)
    kinds = {f.name: f.kind for f in client.labels.functions("yt", "spam")}
    assert kinds == {"shouting": "python", "nonsense": "python", "forever": "python"}
    client.labels.delete_function("yt", "spam", "forever")
    assert len(client.labels.functions("yt", "spam")) == 2


def test_similarity_to_examples(door_client: Any) -> None:
    door_client.datasets.append("msgs", [{"text": t} for t in ROWS])
    door_client.labels.create_schema("msgs", "spam", ["ham", "spam"])
    keys = door_client.datasets.to_arrow("msgs").column("_key").to_pylist()
    door_client.labels.create_function("msgs", "spam", "like_ads", "similarity", label="spam",
                                       config={"examples": [f" {keys[0]}", keys[4], " "],
                                               "threshold": 0.45})
    stored = door_client.labels.functions("msgs", "spam")[0].config
    assert stored["examples"] == [keys[0], keys[4]]  # trimmed, blanks dropped, on every door
    door_client.labels.apply("msgs", "spam")
    report = {s.name: s for s in door_client.labels.analysis("msgs", "spam").functions}
    assert 2 / 7 <= report["like_ads"].coverage <= 4 / 7


def test_label_model_report_and_labels(client: Any, ready: list[str]) -> None:
    labels = client.labels
    with pytest.raises(InvalidInput) as none:
        labels.label_model("yt", "spam")
    assert none.value.code == "no_labeling_functions"
    labels.create_function("yt", "spam", "kw", "keyword", label="spam",
                           config={"keywords": ["channel", "subscribe", "money"]})
    labels.create_function("yt", "spam", "song", "keyword", label="ham",
                           config={"keywords": ["song", "love"]})
    labels.apply("yt", "spam")
    report = labels.label_model("yt", "spam", include_labels=True)
    assert report.rows == 7 and report.labeled_by_people == 4
    assert report.label_model_accuracy == 1.0 and report.majority_vote_accuracy == 1.0
    # four people's labels are too few to choose a setting by: the unsupervised model
    assert report.setting == "unsupervised" and report.class_balance == {"ham": 0.5,
                                                                         "spam": 0.5}
    assert set(report.functions) == {"kw", "song"}
    by_key = {x.key: x for x in report.labels}
    assert by_key[ready[2]].label == "spam" and by_key[ready[1]].label == "ham"
    assert by_key[ready[6]].votes == 0 and 0.5 <= by_key[ready[6]].confidence < 0.9


def test_the_guide_example_runs(platform: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Python block of the guide's Labeling section, as written."""
    import contextlib
    import io
    from pathlib import Path

    from sluice.sdk.local import LocalClient

    guide = (Path(__file__).resolve().parents[2] / "docs" / "guide.md").read_text()
    code = guide.split("## Labeling", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    client = LocalClient(platform, platform.local_context(), owns_platform=False)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "guide.md", "exec"), {"client": client})
    lines = printed.getvalue().splitlines()
    assert lines[0] == "comments@2"  # the session's version
    assert lines[1].startswith("promo 0.5") and len(lines) == 5


def test_commit_labels_as_a_dataset_version(client: Any, ready: list[str]) -> None:
    before = client.datasets.version("yt").number
    client.labels.create_function("yt", "spam", "kw", "keyword", label="spam",
                                  config={"keywords": ["channel", "subscribe", "money"]})
    client.labels.apply("yt", "spam")
    version = client.labels.commit("yt", "spam", weak=True, message="first labels")
    assert version is not None and version.number == before + 1
    rows = client.sql('SELECT _key, label_spam, weak_spam, weak_spam_confidence FROM yt '
                      'ORDER BY _key').rows()
    by_key = {r["_key"]: r for r in rows}
    assert by_key[ready[0]]["label_spam"] == "spam" and by_key[ready[1]]["label_spam"] == "ham"
    assert by_key[ready[4]]["label_spam"] is None and by_key[ready[4]]["weak_spam"] == "spam"
    assert 0.5 < by_key[ready[4]]["weak_spam_confidence"] <= 1
    assert client.labels.commit("yt", "spam", weak=True) is None  # nothing changed
    client.labels.annotate("yt", "spam", ready[5], label="ham")
    again = client.labels.commit("yt", "spam")
    assert again.number == before + 2
    old = client.sql(f'SELECT count(label_spam) AS n FROM "yt@{before + 1}"').rows()
    new = client.sql('SELECT count(label_spam) AS n FROM yt').rows()
    assert (old[0]["n"], new[0]["n"]) == (4, 5)  # the earlier version keeps its labels
    assert client.datasets.version("yt").row_count == 7


def test_zero_shot_function_runs_as_a_job(door_client: Any) -> None:
    from sluice.core.labels.zeroshot import parse_vote

    assert parse_vote(" Spam.", ["ham", "spam"]) == "spam"
    assert parse_vote("I think it is none", ["ham", "spam"]) is None
    door_client.datasets.append("z", [{"text": t} for t in ROWS[:3]])
    door_client.labels.create_schema("z", "spam", ["ham", "spam"])
    door_client.labels.create_function("z", "spam", "ask_llm", "llm",
                                       config={"prompt": "Is this YouTube comment spam?",
                                               "max_rows": 2})
    job = door_client.labels.run_llm("z", "spam", "ask_llm")
    done = door_client.jobs.wait(job.id, timeout=240)
    assert done.state == "succeeded", done.error
    assert done.result["rows"] == 2
    fn = door_client.labels.functions("z", "spam")[0]
    assert fn.kind == "llm" and fn.applied["rows"] == 2
    report = door_client.labels.analysis("z", "spam").functions[0]
    assert set(report.polarity) <= {"ham", "spam"}
    with pytest.raises(InvalidInput):
        door_client.labels.create_function("z", "spam", "bad", "llm", config={})


def test_label_sources_reach_the_model_card(client: Any, ready: list[str],
                                            tmp_path: Any) -> None:
    import skops.io as sio
    from sklearn.linear_model import LogisticRegression

    client.labels.create_function("yt", "spam", "kw", "keyword", label="spam",
                                  config={"keywords": ["channel"]})
    client.labels.apply("yt", "spam")
    version = client.labels.commit("yt", "spam", weak=True)
    sio.dump(LogisticRegression().fit([[0.0], [1.0]], [0, 1]), tmp_path / "m.skops")
    with client.run(experiment="from-labels") as run:
        run.log_input(f"yt@{version.number}")
        run.log_artifact(tmp_path / "m.skops", artifact_path="model")
    client.models.register("spam-filter", f"runs:/{run.id}/model")
    card = client.models.card("spam-filter")
    assert card.label_sources == [
        "spam: label model over 1 labeling functions (kw) (weak_spam)",
        "spam: people (label_spam)"]
    assert "people (label_spam)" in card.markdown


def test_one_line_rules_parse_the_same_for_the_cli_and_the_web() -> None:
    from sluice.core.labels.rules import config_from_rule

    assert config_from_rule("similarity", " k1 , k2,, ", threshold=0.5) == {
        "examples": ["k1", "k2"], "threshold": 0.5}
    assert config_from_rule("keyword", "free , win")["keywords"] == ["free", "win"]
    assert config_from_rule("regex", "a, b")["pattern"] == "a, b"  # commas are the rule's
    for kind, rule in (("similarity", " , "), ("keyword", ""), ("nope", "x")):
        with pytest.raises(InvalidInput) as bad:
            config_from_rule(kind, rule)
        assert bad.value.code in ("invalid_lf_config", "invalid_lf_kind")
    with pytest.raises(InvalidInput):
        config_from_rule("similarity", "k1", threshold=1.5)


def test_creating_and_deleting_a_function_is_audited(client: Any, ready: list[str]) -> None:
    client.labels.create_function("yt", "spam", "kw_free", "keyword", label="spam",
                                  config={"keywords": ["free"]})
    client.labels.delete_function("yt", "spam", "kw_free")
    actions = [(e.action, e.target) for e in client.audit(limit=20)]
    assert ("labels.function.create", "yt:spam:kw_free") in actions
    assert ("labels.function.delete", "yt:spam:kw_free") in actions


def test_majority_vote_accuracy_is_one_figure_everywhere(client: Any, ready: list[str]) -> None:
    client.labels.create_function("yt", "spam", "kw_channel", "keyword", label="spam",
                                  config={"keywords": ["channel"]})  # votes on 2 of 4 labeled
    client.labels.apply("yt", "spam")
    header = client.labels.analysis("yt", "spam").majority_vote_accuracy
    table = client.labels.label_model("yt", "spam").majority_vote_accuracy
    assert header is not None and header == table  # rows without votes count, at random
