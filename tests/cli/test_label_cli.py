"""``sluice label`` as a real process on a local workspace."""

from __future__ import annotations

from pathlib import Path

from tests.cli.test_cli import js, run


def test_label_from_the_cli(tmp_path: Path) -> None:
    home = tmp_path / "home"
    data = tmp_path / "comments.csv"
    data.write_text("text,author\ncheck out my channel,al\ngreat song,bo\nsubscribe plz,cy\n")
    run(home, "ingest", str(data), "--dataset", "comments", "--json")
    schema = js(run(home, "label", "schema", "create", "comments", "spam",
                    "--classes", "ham,spam", "--json"))
    assert schema["column"] == "text" and schema["classes"] == ["ham", "spam"]
    assert js(run(home, "label", "schema", "column", "comments", "spam", "--json")) == [
        "text", "author"]
    moved = run(home, "label", "schema", "column", "comments", "spam", "author").stdout
    assert "comments:spam now labels author" in moved
    assert js(run(home, "label", "schema", "column", "comments", "spam", "text",
                  "--json"))["column"] == "text"
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
    # an export made elsewhere, imported as one session: bad rows reported, a version made
    made = tmp_path / "made.csv"
    made.write_text(f"key,label\n{keys[0]},ham\nnot-a-key,spam\n{keys[1]},eggs\n"
                    f"{keys[2]},\n")
    result = js(run(home, "label", "import", "comments", "spam", str(made), "--json"))
    assert result["saved"] == 1 and result["version"] == 2  # the ingest made the first
    assert [e["code"] for e in result["errors"]] == ["row_not_found", "unknown_class"]
    lines = tmp_path / "made.jsonl"
    lines.write_text(f'{{"id": "{keys[2]}", "tag": "ham"}}\n')
    text = run(home, "label", "import", "comments", "spam", str(lines), "--key-column", "id",
               "--label-column", "tag").stdout
    assert "1 labels saved, 0 refused; comments@3" in text
    exported = tmp_path / "exported.json"  # what `export --json` writes reads back
    exported.write_text(run(home, "label", "export", "comments", "spam", "--json").stdout)
    again = js(run(home, "label", "import", "comments", "spam", str(exported), "--json"))
    assert again["saved"] == 3 and again["errors"] == [] and again["version"] is None
    nolabel = tmp_path / "nolabel.csv"
    nolabel.write_text(f"key,tag\n{keys[0]},ham\n")
    missing = run(home, "label", "import", "comments", "spam", str(nolabel), "--json",
                  check=False)
    assert missing.returncode != 0 and "column_not_found" in missing.stdout
    broken = tmp_path / "broken.jsonl"
    broken.write_text("{not json\n")
    bad = run(home, "label", "import", "comments", "spam", str(broken), "--json",
              check=False)
    assert bad.returncode != 0 and "invalid_file" in bad.stdout


def test_labeling_functions_from_the_cli(tmp_path: Path) -> None:
    home = tmp_path / "home"
    data = tmp_path / "c.csv"
    data.write_text("text\ncheck out my channel\ngreat song\nsubscribe plz\nnice song\n")
    run(home, "ingest", str(data), "--dataset", "c", "--json")
    run(home, "label", "schema", "create", "c", "spam", "--classes", "ham,spam")
    run(home, "label", "lf", "create", "c", "spam", "kw", "--label", "spam",
        "--keywords", "channel,subscribe")
    run(home, "label", "lf", "create", "c", "spam", "songs", "--label", "ham",
        "--sql", "text LIKE '%song%'")
    bad = run(home, "label", "lf", "create", "c", "spam", "two", "--label", "ham",
              "--sql", "1=1", "--regex", "x", "--json", check=False)
    assert bad.returncode != 0 and "invalid_lf_config" in bad.stdout
    report = js(run(home, "label", "apply", "c", "spam", "--json"))
    coverage = {f["name"]: f["coverage"] for f in report["functions"]}
    assert coverage == {"kw": 0.5, "songs": 0.5} and report["coverage"] == 1.0
    human = run(home, "label", "analysis", "c", "spam").stdout
    assert "50.0%" in human and "kw" in human
    assert len(js(run(home, "label", "lf", "list", "c", "spam", "--json"))) == 2
    model = run(home, "label", "model", "c", "spam").stdout
    assert "label model" in model and "majority vote" in model
    assert "fitted with: unsupervised; class balance ham 50.0%, spam 50.0%" in model
    exported = run(home, "label", "model", "c", "spam", "--export").stdout.splitlines()
    assert exported[0] == "key,label,confidence,votes" and len(exported) == 5
    committed = js(run(home, "label", "commit", "c", "spam", "--weak", "--json"))
    assert committed["number"] == 2 and committed["operation"] == "label"
    assert "unchanged" in run(home, "label", "commit", "c", "spam", "--weak").stdout


def test_label_issues_and_curve_from_the_cli(tmp_path: Path) -> None:
    home = tmp_path / "home"
    data = tmp_path / "t.csv"
    rows = [f"lovely song and a great melody {i}" for i in range(12)] + \
           [f"win free money and subscribe to my channel {i}" for i in range(12)]
    data.write_text("text\n" + "\n".join(rows) + "\n")
    run(home, "ingest", str(data), "--dataset", "t", "--json")
    run(home, "label", "schema", "create", "t", "spam", "--classes", "ham,spam")
    from sluice.platform import Platform
    from sluice.settings import load_settings

    platform = Platform.open(load_settings(env={}, home=home))  # answers given in bulk
    ctx = platform.local_context()
    for item in platform.labels.queue(ctx, "t", "spam", limit=24).items:
        label = "spam" if "money" in item.text else "ham"
        if item.text.endswith(" 3"):
            label = "ham" if label == "spam" else "spam"  # two wrong labels
        platform.labels.annotate(ctx, "t", "spam", item.key, label=label)
    platform.close()
    issues = js(run(home, "label", "issues", "t", "spam", "--json"))
    assert {i["text"][-1] for i in issues["issues"]} >= {"3"}
    curve = run(home, "label", "curve", "t", "spam", "--batch", "5").stdout
    assert "random" in curve and "uncertainty" in curve


def test_embed_from_the_cli(tmp_path: Path) -> None:
    home = tmp_path / "home"
    data = tmp_path / "e.csv"
    data.write_text("text\n" + "".join(f"comment {i}\n" for i in range(12)))
    run(home, "ingest", str(data), "--dataset", "e", "--json")
    run(home, "label", "schema", "create", "e", "spam", "--classes", "ham,spam")
    job = js(run(home, "label", "embed", "e", "spam", "--json"))
    assert job["state"] == "succeeded" and job["result"] == {"rows": 12, "embedded": 12}
    text = run(home, "label", "embed", "e", "spam").stdout
    assert "12 rows ready, 0 texts embedded" in text
