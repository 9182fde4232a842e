"""The lineage graph on every door: from ``model@alias`` one call reaches the run, the
dataset versions it trained on, their label sources and the source files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sluice.core.lineage.models import NodeKind
from sluice.errors import InvalidInput, NotFound
from tests.cli.test_cli import js, run


def _story(client: Any, tmp_path: Path) -> dict[str, Any]:
    """A CSV ingested, labelled, trained on, registered and promoted."""
    import skops.io as sio
    from sklearn.linear_model import LogisticRegression

    csv = tmp_path / "msgs.csv"
    csv.write_text("id,text\n1,buy now cheap\n2,hello friend\n3,win money now\n")
    client.ingest(csv, "msgs")
    client.labels.create_schema("msgs", "spam", ["ham", "spam"])
    keys = client.datasets.to_arrow("msgs").column("_key").to_pylist()
    client.labels.annotate("msgs", "spam", keys[0], label="spam")
    client.labels.annotate("msgs", "spam", keys[1], label="ham")
    labelled = client.labels.commit("msgs", "spam")
    sio.dump(LogisticRegression().fit([[0.0], [1.0]], [0, 1]), tmp_path / "m.skops")
    with client.run(experiment="lineage") as run_:
        run_.log_input(f"msgs@{labelled.number}")
        run_.log_artifact(tmp_path / "m.skops", artifact_path="model")
    client.models.register("spam", f"runs:/{run_.id}/model")
    client.models.set_alias("spam", "production", 1)
    return {"run": run_.id, "version": labelled.number}


def test_from_an_alias_one_call_reaches_run_data_labels_and_files(client: Any,
                                                                  tmp_path: Path) -> None:
    story = _story(client, tmp_path)
    graph = client.lineage("spam@production")
    by_kind = {k: [n.label for n in graph.of_kind(k)] for k in NodeKind}
    assert by_kind[NodeKind.ALIAS] == ["spam@production"]
    assert by_kind[NodeKind.MODEL_VERSION] == ["spam v1"]
    [run_] = graph.of_kind(NodeKind.RUN)
    assert run_.href == f"/runs/{story['run']}"
    assert f"msgs@{story['version']}" in by_kind[NodeKind.DATASET]
    [labels] = graph.of_kind(NodeKind.LABELS)
    assert labels.attrs["annotators"] and labels.attrs["schema"] == "spam"
    [source] = graph.of_kind(NodeKind.FILE)
    assert source.label == "msgs.csv" and len(source.attrs["sha256"]) == 64
    assert min(n.depth for n in graph.nodes) == -5 and graph.truncated is False
    relations = {e.relation.value for e in graph.edges}
    assert relations == {"points_to", "produced", "trained_on", "labeled_by", "derived_from"}
    card = client.models.card("spam", 1)  # the card reads its lineage from the graph
    assert [x["kind"] for x in card.lineage] == ["experiment", "run", "dataset", "dataset",
                                                 "labels", "file"]
    assert card.label_sources == ["spam: people (label_spam)"]


def test_downstream_from_a_file_and_a_moved_alias(client: Any, tmp_path: Path) -> None:
    _story(client, tmp_path)
    [source] = client.lineage("spam@production").of_kind(NodeKind.FILE)
    down = client.lineage(f"file:{source.attrs['sha256']}", direction="downstream")
    assert {n.kind for n in down.nodes} >= {NodeKind.DATASET, NodeKind.RUN,
                                            NodeKind.MODEL_VERSION, NodeKind.ALIAS}
    assert all(n.depth >= 0 for n in down.nodes)
    client.models.delete_alias("spam", "production")
    assert [n.kind for n in client.lineage("spam@production").nodes] == [NodeKind.ALIAS]
    short = client.lineage("spam@production", direction="both", depth=1)
    assert len(short.nodes) == 1


def test_bad_and_unknown_references(client: Any) -> None:
    for ref in ("", "no at sign", "x@y@z"):
        with pytest.raises(InvalidInput) as bad:
            client.lineage(ref)
        assert bad.value.code in ("invalid_lineage_ref", "invalid_request"), ref
    with pytest.raises(NotFound) as missing:
        client.lineage("nothing@3")
    assert missing.value.code == "lineage_not_found"
    with pytest.raises(InvalidInput):
        client.lineage("nothing@3", direction="sideways")


def test_another_projects_lineage_is_not_found(platform: Any, tmp_path: Path) -> None:
    from sluice.sdk.local import LocalClient

    own = LocalClient(platform, platform.local_context(), owns_platform=False)
    _story(own, tmp_path)
    platform.projects.create(platform.local_context(), "other")
    other = LocalClient(platform, platform.local_context("other"), owns_platform=False)
    with pytest.raises(NotFound):
        other.lineage("spam@production")
    with pytest.raises(NotFound):
        other.lineage("msgs@1")
    assert other.events.list() == []


def test_the_lineage_and_events_pages(http: Any, platform: Any, tmp_path: Path) -> None:
    from sluice.sdk.local import LocalClient

    story = _story(LocalClient(platform, platform.local_context(), owns_platform=False),
                   tmp_path)
    page = http.get("/lineage", params={"ref": "spam@production"})
    assert page.status_code == 200 and 'id="lineage-graph"' in page.text
    assert f'href="/runs/{story["run"]}"' in page.text
    twin = http.get("/lineage.json", params={"ref": "spam@production"}).json()
    drawn = twin["drawing"]["nodes"]
    assert len(drawn) == len(twin["graph"]["nodes"]) == 7
    columns = sorted({n["x"] for n in drawn})
    assert len(columns) == 6 and drawn[0]["x"] in columns  # one column per step
    start = http.get("/lineage").text
    assert "spam%40production" in start and "/lineage?ref=msgs%402" in start
    starts = http.get("/lineage.json").json()["starts"]
    assert starts[0]["ref"] == "model:spam@production"  # the newest change first
    missing = http.get("/lineage", params={"ref": "nope@1"})
    assert missing.status_code == 404
    events = http.get("/events.json").json()
    assert {s["name"] for s in events["subscribers"]} >= {"lineage", "views.auto_sync"}
    assert "model.alias_moved" in {e["kind"] for e in events["events"]}
    assert 'data-subscriber="lineage"' in http.get("/events").text


def test_the_cli(tmp_path: Path) -> None:
    from sluice.platform import Platform
    from sluice.sdk.local import LocalClient
    from sluice.settings import load_settings

    home = tmp_path / "home"
    platform = Platform.open(load_settings(env={}, home=home, executor="thread"))
    platform.bootstrap()
    _story(LocalClient(platform, platform.local_context(), owns_platform=False), tmp_path)
    platform.close()
    graph = js(run(home, "lineage", "spam@production", "--json"))
    assert {n["kind"] for n in graph["nodes"]} >= {"alias", "run", "dataset", "labels", "file"}
    shown = run(home, "lineage", "msgs@1", "--downstream").stdout
    assert "spam@production" in shown and "trained on" in shown
    events = js(run(home, "events", "list", "--kind", "run.finished", "--json"))
    assert [e["kind"] for e in events] == ["run.finished"]
    subs = run(home, "events", "subscribers").stdout
    assert "lineage" in subs and "views.auto_sync" in subs
    bad = run(home, "lineage", "what", "--json", check=False)
    assert bad.returncode != 0 and json.loads(bad.stdout)["error"]["code"] == \
        "invalid_lineage_ref"


def test_a_workspace_from_before_the_event_log_gets_its_lineage(db_platform: Any,
                                                                tmp_path: Path) -> None:
    """Changes recorded before 0007 had no events; 0009 writes them, so the graph (and the
    model cards) cover the whole history. Simulated by emptying the log and the graph and
    running 0009 again."""
    import sqlalchemy as sa

    from sluice.sdk.local import LocalClient
    from tests.unit.test_migrations import downgraded_to, upgraded_to

    platform = db_platform
    client = LocalClient(platform, platform.local_context(), owns_platform=False)
    story = _story(client, tmp_path)
    tables = "events, event_cursors, lineage_nodes, lineage_edges"
    with platform.db.engine.begin() as conn:  # as if the log had never been (ids from 1)
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY"))
        for table in tables.split(", "):
            conn.execute(sa.text(f"DELETE FROM {table}"))
    with downgraded_to(platform.db, "0008"):
        pass
    with upgraded_to(platform.db, "0009"):
        pass
    graph = client.lineage("spam@production")
    labels = {k: [n.label for n in graph.of_kind(k)] for k in NodeKind}
    assert labels[NodeKind.MODEL_VERSION] == ["spam v1"]
    assert f"msgs@{story['version']}" in labels[NodeKind.DATASET] and "msgs@1" in \
        labels[NodeKind.DATASET]
    assert [n.attrs["schema"] for n in graph.of_kind(NodeKind.LABELS)] == ["spam"]
    assert [n.href for n in graph.of_kind(NodeKind.RUN)] == [f"/runs/{story['run']}"]
    with upgraded_to(platform.db, "0009"):  # nothing is written twice
        pass
    with downgraded_to(platform.db, "0008"):
        pass
    with upgraded_to(platform.db, "0009"):
        pass
    with platform.db.engine.connect() as conn:
        kinds = [k for (k,) in conn.execute(sa.text("SELECT kind FROM events"))]
    assert kinds.count("model.version_created") == 1 and kinds.count("run.started") == 1
