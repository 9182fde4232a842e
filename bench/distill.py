"""Distillation on the YouTube spam comments: a classifier trained on the label model's
``weak_spam`` labels against one trained on people's labels, scored on the same held-out
rows people labeled.

The setting of Snorkel's spam tutorial: Youtube01-04 (1,586 comments) to train, Youtube05
(370, Shakira) held out. One dataset holds all five files; ``truth_train`` has people's
label on the training files, ``truth_test`` on the held-out file. Through the SDK, the ten
labeling functions of ``bench.labeling`` vote on every comment and the label model's
labels are committed (``weak_spam``, ``weak_spam_confidence``; the label model sees no
gold). Then two training jobs with the same budget, text column and seed:

- ``weak``: ``client.train(v, "weak_spam", columns=["CONTENT"],
  weight_column="weak_spam_confidence", check_column="truth_test")`` (the rows some
  function votes on; confidence as sample weight);
- ``people``: ``client.train(v, "truth_train", columns=["CONTENT"],
  check_column="truth_test")``, every training comment with its gold label.

Both are checked by the job on the held-out rows (``check_column``): accuracy. The teacher
(the label model's own labels on the held-out rows) is reported with its coverage.

    python -m bench.distill [--quick] [--budget 30] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import pandas as pd

from bench.common import quick, save, shared, spread

BUDGET = 30.0
QUICK_BUDGET = 5.0
REPEATS = 3
TEST_FILE = "Youtube05-Shakira.csv"


def comments() -> pd.DataFrame:
    frames = []
    for path in sorted(shared("youtube_spam").glob("Youtube0*.csv")):
        frame = pd.read_csv(path)
        truth = frame["label"].map({1: "spam", 0: "ham"})
        held = path.name == TEST_FILE
        frames.append(pd.DataFrame({"CONTENT": frame["CONTENT"],
                                    "truth_train": None if held else truth,
                                    "truth_test": truth if held else None}))
    data = pd.concat(frames, ignore_index=True)
    return data.sample(400, random_state=0) if quick() else data


def weak_labels(client: Any, data: pd.DataFrame, folder: str) -> str:
    """The comments ingested, the ten functions applied, the label model's labels
    committed; returns the version."""
    from bench.labeling import LABELS, functions

    path = os.path.join(folder, "comments.csv")
    data.to_csv(path, index=False)
    client.ingest(path, "yt")
    client.labels.create_schema("yt", "spam", LABELS, column="CONTENT")
    functions(client, "yt")
    version = client.labels.commit("yt", "spam", weak=True)
    return f"yt@{version.number}"


def teacher(client: Any, ref: str) -> dict[str, Any]:
    frame = client.datasets.to_arrow(ref).to_pandas()
    held = frame[_present(frame["truth_test"])]
    voted = held[_present(held["weak_spam"])]
    return {"held_out_rows": len(held), "coverage": round(len(voted) / len(held), 4),
            "accuracy_where_voted": round(float((voted["weak_spam"] ==
                                                 voted["truth_test"]).mean()), 4),
            "weak_rows_to_train": int(_present(frame["weak_spam"]).sum() - len(voted))}


def _present(column: pd.Series) -> pd.Series:
    """Rows with a value (an ingested CSV's empty cells may read as empty strings)."""
    return column.notna() & (column.fillna("").astype(str).str.strip() != "")


def students(client: Any, ref: str, budget: float, seed: int) -> dict[str, Any]:
    common = {"columns": ["CONTENT"], "check_column": "truth_test", "budget": budget,
              "seed": seed, "timeout": 30 * budget + 600}
    out = {}
    for name, target, extra in (
            ("weak", "weak_spam", {"weight_column": "weak_spam_confidence"}),
            ("people", "truth_train", {})):
        r = client.train(ref, target, **common, **extra).result
        out[name] = {"accuracy": r.check.score, "rows": r.rows, "best": r.best.family,
                     "trials": r.trials, "seconds": round(r.seconds, 1)}
        print(f"seed {seed} {name:6s} held-out accuracy {r.check.score:.4f} "
              f"({r.rows} training rows, {r.best.family})", file=sys.stderr, flush=True)
    return out


def main() -> dict[str, Any]:
    from sluice.platform import Platform
    from sluice.sdk.local import LocalClient
    from sluice.settings import load_settings

    parser = argparse.ArgumentParser(prog="python -m bench.distill", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--budget", type=float, default=None)
    parser.add_argument("--repeats", type=int, default=None)
    args = parser.parse_args()
    budget = args.budget or (QUICK_BUDGET if quick() else BUDGET)
    repeats = args.repeats or (1 if quick() else REPEATS)
    with tempfile.TemporaryDirectory(prefix="sluice-distill-") as folder:
        platform = Platform.open(load_settings(env={}, home=os.path.join(folder, "home"),
                                               executor="thread"))
        client = LocalClient(platform, platform.local_context())
        ref = weak_labels(client, comments(), folder)
        taught = teacher(client, ref)
        runs = [students(client, ref, budget, seed) for seed in range(repeats)]
        platform.close()
    result = {"budget_s": budget, "repeats": repeats, "train_files": "Youtube01-04",
              "test_file": TEST_FILE, "teacher": taught,
              "students": {name: {"accuracy": spread([r[name]["accuracy"] for r in runs]),
                                  "rows": runs[0][name]["rows"],
                                  "runs": [r[name] for r in runs]}
                           for name in ("weak", "people")}}
    weak = statistics.median(r["weak"]["accuracy"] for r in runs)
    people = statistics.median(r["people"]["accuracy"] for r in runs)
    result["ratio_weak_to_people"] = round(weak / people, 4)
    save("distill", result, {"budget_s": budget, "repeats": repeats})
    print(f"teacher: coverage {taught['coverage']:.2f}, accuracy where it votes "
          f"{taught['accuracy_where_voted']:.4f}")
    print(f"student on weak labels {weak:.4f} vs on people's labels {people:.4f} "
          f"({weak / people:.3f}x)")
    return result


if __name__ == "__main__":
    main()
