"""``sluice label`` as a real process on a local workspace."""

from __future__ import annotations

from pathlib import Path

from tests.cli.test_cli import js, run


def test_label_from_the_cli(tmp_path: Path) -> None:
    home = tmp_path / "home"
    data = tmp_path / "comments.csv"
    data.write_text("text\ncheck out my channel\ngreat song\nsubscribe plz\n")
    run(home, "ingest", str(data), "--dataset", "comments", "--json")
    schema = js(run(home, "label", "schema", "create", "comments", "spam",
                    "--classes", "ham,spam", "--json"))
    assert schema["column"] == "text" and schema["classes"] == ["ham", "spam"]
    queue = js(run(home, "label", "queue", "comments", "spam", "--json"))
    keys = [i["key"] for i in queue["items"]]
    assert queue["total"] == 3 and len(keys) == 3
    for key, label in zip(keys, ["spam", "ham", "spam"], strict=True):
        run(home, "label", "annotate", "comments", "spam", key, label)
    human = run(home, "label", "queue", "comments", "spam").stdout
    assert "3/3 done" in human
    run(home, "label", "undo", "comments", "spam")
    exported = run(home, "label", "export", "comments", "spam").stdout.splitlines()
    assert exported[0] == "key,label" and len(exported) == 3
    bad = run(home, "label", "annotate", "comments", "spam", keys[0], "eggs", "--json",
              check=False)
    assert bad.returncode != 0 and "unknown_class" in bad.stdout
