"""The dataset contract, run against the local and the remote client."""

import pyarrow as pa
import pytest

from sluice.errors import AlreadyExists, InvalidInput, NotFound, PayloadTooLarge

ROWS = [{"id": 1, "text": "alpha", "score": 0.5}, {"id": 2, "text": "beta", "score": 1.5}]


def test_append_creates_versions_and_reads_back(client):
    first = client.datasets.append("tickets", ROWS)
    second = client.datasets.append("tickets", [{"id": 3, "text": "gamma", "score": 2.5}])
    assert (first.version, second.version) == (1, 2)
    info = client.datasets.get("tickets")
    assert info.latest.number == 2 and info.latest.row_count == 3
    assert [v.number for v in client.datasets.versions("tickets")] == [2, 1]
    assert client.datasets.version("tickets@1").row_count == 2
    table = client.datasets.to_arrow("tickets@1")
    assert sorted(table.column("id").to_pylist()) == [1, 2]
    assert {"id", "text", "score", "_key", "_hash", "_source"} <= set(table.column_names)


def test_idempotency_key_stores_a_batch_once(client):
    a = client.datasets.append("events", ROWS, idempotency_key="batch-1")
    b = client.datasets.append("events", ROWS, idempotency_key="batch-1")
    assert (a.duplicate, b.duplicate, b.version) == (False, True, a.version)
    assert client.datasets.version("events").row_count == 2


def test_key_column_updates_rows_in_place_and_diff_sees_changes(client):
    client.datasets.append("people", [{"id": 1, "name": "ana"}, {"id": 2, "name": "bo"}],
                           key_column="id")
    client.datasets.append("people", [{"id": 2, "name": "bob"}, {"id": 3, "name": "cy"}])
    assert client.datasets.version("people").row_count == 3
    diff = client.datasets.diff("people", 1, 2)
    assert (diff.added, diff.removed, diff.changed) == (1, 0, 1)
    changed = next(r for r in diff.rows if r.change == "changed")
    assert (changed.before["name"], changed.after["name"]) == ("bo", "bob")
    assert changed.changed_columns == ["name"]  # on every client, system columns left out


def test_restore_commits_old_content_as_a_new_version(client):
    client.datasets.append("t", ROWS)
    client.datasets.append("t", [{"id": 9, "text": "x", "score": 0.0}])
    restored = client.datasets.restore("t", 1)
    assert (restored.number, restored.operation, restored.row_count) == (3, "restore", 2)
    diff = client.datasets.diff("t", 2, 3)
    assert (diff.added, diff.removed) == (0, 1)


def test_delete_rows_and_schema_evolution(client):
    client.datasets.append("t", ROWS)
    client.datasets.append("t", [{"id": 5, "text": "new", "score": 1.0, "lang": "en"}])
    cols = [c.name for c in client.datasets.schema("t")]
    assert "lang" in cols
    v = client.datasets.delete_rows("t", "id < 2")
    assert v.row_count == 2 and v.operation == "edit"
    assert client.datasets.delete_rows("t", "id > 100") is None


def test_rows_paging_and_export_formats(client):
    client.datasets.append("t", [{"i": i} for i in range(120)])
    page = client.datasets.rows("t", offset=100, limit=50)
    assert (page.total, len(page.rows), page.version) == (120, 20, 1)
    csv = client.datasets.export("t", "csv").decode()
    assert csv.splitlines()[0].startswith('"i"') and len(csv.splitlines()) == 121
    assert pa.ipc.open_stream(client.datasets.export("t", "arrow")).read_all().num_rows == 120
    assert client.datasets.to_pandas("t")["i"].sum() == sum(range(120))


def test_errors_are_the_same_on_both_doors(client):
    with pytest.raises(NotFound) as err:
        client.datasets.get("missing")
    assert err.value.code == "dataset_not_found"
    client.datasets.append("t", ROWS)
    with pytest.raises(NotFound) as err:
        client.datasets.rows("t@7")
    assert err.value.code == "version_not_found"
    with pytest.raises(InvalidInput) as err:
        client.datasets.get("../etc/passwd")
    assert err.value.code == "invalid_name"
    with pytest.raises(InvalidInput) as err:
        client.datasets.append("t", [{"id": "not a number", "text": 1, "score": "x"}])
    assert err.value.code == "schema_mismatch"
    with pytest.raises(InvalidInput):
        client.datasets.append("t", [])
    with pytest.raises(AlreadyExists):
        client.datasets.create("t")
    with pytest.raises(InvalidInput) as err:
        client.datasets.rows("t", limit=100_000)
    assert err.value.code == "invalid_page"


def test_too_many_rows_in_one_batch(client):
    with pytest.raises(PayloadTooLarge) as err:
        client.datasets.append("big", [{"i": i} for i in range(10_001)])
    assert err.value.code == "batch_too_large"


def test_create_list_delete(client):
    client.datasets.create("empty", description="nothing yet")
    names = [d.name for d in client.datasets.list()]
    assert "empty" in names
    assert client.datasets.get("empty").latest is None
    client.datasets.delete("empty")
    with pytest.raises(NotFound):
        client.datasets.get("empty")


def test_a_new_label_column_counts_the_labeled_rows_as_changed(client):
    client.datasets.append("n", [{"text": f"row {i}"} for i in range(5)])
    client.labels.create_schema("n", "mood", ["a", "b"])
    keys = client.datasets.to_arrow("n").column("_key").to_pylist()
    client.labels.annotate("n", "mood", keys[0], label="a")
    made = client.labels.finish_session("n", "mood")
    diff = client.datasets.diff("n", made.number - 1, made.number)
    assert diff.columns_added == ["label_mood"] and (diff.added, diff.changed) == (0, 1)
    assert [(r.key, r.changed_columns) for r in diff.rows] == [(keys[0], ["label_mood"])]
