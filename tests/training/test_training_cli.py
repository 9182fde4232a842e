"""``sluice train`` and ``sluice training`` as real processes on a local workspace."""

from __future__ import annotations

from pathlib import Path

from tests.cli.test_cli import js, run
from tests.training.test_training_doors import cancer_frame


def test_train_show_list_and_refuse_from_the_cli(tmp_path: Path) -> None:
    home = tmp_path / "home"
    csv = tmp_path / "cancer.csv"
    cancer_frame().to_csv(csv, index=False)
    run(home, "ingest", str(csv), "-d", "cancer")
    done = js(run(home, "train", "cancer", "--target", "diagnosis", "--budget", "3",
                  "--register", "cancer", "--json"))
    assert done["state"] == "succeeded" and done["result"]["registered"] == {
        "name": "cancer", "version": 1}
    assert done["leaderboard"][0]["score"] == done["result"]["best"]["score"]
    shown = run(home, "training", "show", done["id"], "--report").stdout
    assert "Leaderboard" in shown and "ROC AUC" in shown and "LightGBM defaults" in shown
    assert [t["id"] for t in js(run(home, "training", "list", "--json"))] == [done["id"]]
    again = js(run(home, "training", "register", done["id"], "cancer", "--json"))
    assert again["version"] == 2
    live = run(home, "train", "cancer", "-t", "diagnosis", "--budget", "2")
    assert "best roc_auc" in live.stdout and "Leaderboard" in live.stdout
    bad = run(home, "train", "cancer", "--target", "nope", "--json", check=False)
    assert bad.returncode != 0 and js(bad)["error"]["code"] == "target_not_found"


def test_finetune_from_the_cli(tmp_path: Path) -> None:
    import json

    home = tmp_path / "home"
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text("".join(json.dumps({"prompt": f"What is {a} plus {a}?",
                                         "response": str(2 * a)}) + "\n" for a in range(4)))
    run(home, "ingest", str(pairs), "-d", "sums")
    done = js(run(home, "finetune", "sums", "--steps", "2", "--max-length", "48",
                  "--register", "sums-lora", "--json"))
    assert done["state"] == "succeeded" and done["result"]["steps"] == 2
    assert done["result"]["registered"] == {"name": "sums-lora", "version": 1}
    bad = run(home, "finetune", "sums", "--prompt-column", "nope", "--json", check=False)
    assert bad.returncode != 0 and js(bad)["error"]["code"] == "column_not_found"
