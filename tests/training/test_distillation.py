"""Distillation on real YouTube spam comments (../shared/data): a student trained on the
label model's ``weak_spam`` labels, weighted by their confidence, scored against people's
labels it never saw; its card names the teacher."""

from __future__ import annotations

from typing import Any

import pandas as pd

from tests.conftest import shared_data

SPAM_WORDS = ["subscribe", "channel", "check out", "my video", "http", "www", ".com",
              "follow me", "free"]
HAM_WORDS = ["song", "love", "best", "views", "dance", "psy"]


def test_a_student_learns_from_the_label_model_and_is_checked_against_people(
        platform: Any, tmp_path: Any) -> None:
    from sluice.sdk.local import LocalClient

    frame = pd.read_csv(shared_data("youtube_spam") / "Youtube01-Psy.csv")
    client = LocalClient(platform, platform.local_context(), owns_platform=False)
    frame.to_csv(tmp_path / "psy.csv", index=False)
    client.ingest(str(tmp_path / "psy.csv"), "psy", key_column="COMMENT_ID")
    labels = client.labels
    labels.create_schema("psy", "spam", ["ham", "spam"], column="CONTENT")
    people = frame.sample(120, random_state=0)
    for key, truth in zip(people["COMMENT_ID"], people["label"], strict=True):
        labels.annotate("psy", "spam", key, label="spam" if truth == 1 else "ham")
    labels.create_function("psy", "spam", "spammy", "keyword", label="spam",
                           config={"keywords": SPAM_WORDS})
    labels.create_function("psy", "spam", "about_the_song", "keyword", label="ham",
                           config={"keywords": HAM_WORDS})
    labels.apply("psy", "spam")
    labels.commit("psy", "spam", weak=True)

    training = client.train("psy", "weak_spam", columns=["CONTENT"], budget=6,
                            weight_column="weak_spam_confidence", check_column="label_spam",
                            register="spam-student")
    r = training.result
    assert r.check is not None and r.check.rows == 120 and r.check.metric == "accuracy"
    assert r.check.score > 0.8
    assert r.features == ["CONTENT"] and "weak_spam_confidence" in r.report
    card = client.models.card("spam-student")
    assert any("label model over 2 labeling functions" in s for s in card.label_sources)
    assert card.metrics["check_accuracy"] == r.check.score
    said = client.models.predict("spam-student", [
        {"CONTENT": "Please subscribe to my channel and check out my video"},
        {"CONTENT": "I love this song, best dance ever"}]).predictions
    assert said == ["spam", "ham"]
