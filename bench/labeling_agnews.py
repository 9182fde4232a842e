"""The label model on data it was not tuned on: AG News (7,600 news items, four topics),
twelve keyword labeling functions written once from general knowledge (three per topic,
not adjusted after seeing results), made and applied through Sluice's SDK. Sluice's label
model, majority vote and Snorkel's ``LabelModel`` fit on the same label matrix without
gold labels and are scored against the gold topics (ties broken at random, mean of 20
seeds), on all rows and on the rows some function votes on.

    python -m bench.labeling_agnews
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

import numpy as np
import pandas as pd

from bench.common import save, shared
from bench.labeling import accuracy, methods

TOPICS = ["world", "sports", "business", "scitech"]
KEYWORDS = {
    "world": {"conflict": ["iraq", "troops", "killed", "war", "rebels"],
              "politics": ["minister", "election", "government", "president", "parliament"],
              "places": ["israel", "palestinian", "afghanistan", "iran", "korea"]},
    "sports": {"games": ["game", "season", "coach", "team", "league"],
               "events": ["cup", "olympic", "olympics", "championship", "tournament"],
               "results": ["win", "victory", "defeat", "scored", "beat"]},
    "business": {"markets": ["stocks", "shares", "market", "investors", "wall street"],
                 "results": ["profit", "earnings", "quarter", "revenue", "sales"],
                 "economy": ["oil", "prices", "economy", "bank", "rates"]},
    "scitech": {"computing": ["software", "microsoft", "computer", "internet", "linux"],
                "companies": ["google", "apple", "ibm", "intel", "web"],
                "science": ["space", "nasa", "scientists", "researchers", "study"]},
}


def matrix(tmp: str) -> tuple[np.ndarray, np.ndarray]:
    from sluice.platform import Platform
    from sluice.sdk.local import LocalClient
    from sluice.settings import load_settings

    frame = pd.read_csv(shared("ag_news") / "test.csv", header=None,
                        names=["topic", "title", "description"])
    platform = Platform.open(load_settings(home=tmp))
    client = LocalClient(platform, platform.local_context())
    client.datasets.append("news", [{"row": i, "text": f"{t}. {d}"} for i, (t, d) in
                                    enumerate(zip(frame.title, frame.description,
                                                  strict=True))])
    client.labels.create_schema("news", "topic", TOPICS, column="text")
    for topic, groups in KEYWORDS.items():
        for group, words in groups.items():
            client.labels.create_function("news", "topic", f"{topic}_{group}", "keyword",
                                          label=topic, config={"keywords": words})
    client.labels.apply("news", "topic")
    keys, _, votes = platform.labels.functions.matrix(platform.local_context(), "news",
                                                      "topic")
    rows = client.datasets.to_arrow("news").to_pandas().set_index("_key")["row"]
    gold = frame.topic.to_numpy()[rows.loc[keys].to_numpy()] - 1
    client.close()
    return votes, gold


def main() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    with tempfile.TemporaryDirectory() as tmp:
        votes, gold = matrix(tmp)
    covered = (votes != -1).any(axis=1)
    fitted = methods(votes, classes=len(TOPICS))
    result: dict[str, Any] = {
        "rows": len(votes), "functions": int(votes.shape[1]),
        "coverage": round(float(covered.mean()), 4),
        "accuracy_all_rows": {k: round(accuracy(f(votes), gold), 4)
                              for k, (f, _) in fitted.items()},
        "accuracy_covered_rows": {k: round(accuracy(f(votes[covered]), gold[covered]), 4)
                                  for k, (f, _) in fitted.items()},
        "accuracy_uncovered_rows": {k: round(accuracy(f(votes[~covered]), gold[~covered]), 4)
                                    for k, (f, _) in fitted.items()},
        "fit_seconds": {k: round(t, 3) for k, (_, t) in fitted.items()}}
    save("labeling_agnews", result)


if __name__ == "__main__":
    main()
