"""Read-only, bounded SQL: the same answers and errors locally and remotely."""

import pytest

from sluice.errors import InvalidInput, NotFound


@pytest.fixture
def loaded(client):
    client.datasets.append("tickets", [{"id": i, "priority": ["low", "high"][i % 2],
                                        "minutes": float(i)} for i in range(100)])
    client.datasets.append("tickets", [{"id": 100, "priority": "high", "minutes": 1.0}])
    return client


def test_aggregates_and_old_versions(loaded):
    result = loaded.sql("SELECT priority, count(*) AS n FROM tickets GROUP BY 1 ORDER BY 1")
    assert result.rows() == [{"priority": "high", "n": 51}, {"priority": "low", "n": 50}]
    old = loaded.sql('SELECT count(*) AS n FROM "tickets@1"')
    assert old.rows() == [{"n": 100}]
    joined = loaded.sql('SELECT count(*) AS n FROM tickets t JOIN "tickets@1" o USING (id)')
    assert joined.rows() == [{"n": 100}]
    assert loaded.sql("SELECT 1 AS x").rows() == [{"x": 1}]


def test_row_limit_truncates(loaded):
    result = loaded.sql("SELECT * FROM tickets", limit=10)
    assert result.row_count == 10 and result.truncated
    assert result.to_pandas().shape[0] == 10


@pytest.mark.parametrize("query, code", [
    ("DELETE FROM tickets", "sql_not_read_only"),
    ("CREATE TABLE x AS SELECT 1", "sql_not_read_only"),
    ("INSERT INTO tickets VALUES (1)", "sql_not_read_only"),
    ("COPY tickets TO '/tmp/out.csv'", "sql_not_read_only"),
    ("ATTACH '/tmp/x.db'", "sql_not_read_only"),
    ("INSTALL httpfs", "sql_not_read_only"),
    ("LOAD httpfs", "sql_not_read_only"),
    ("SET threads = 64", "sql_not_read_only"),
    ("PRAGMA version", "sql_not_read_only"),
    ("SELECT 1; SELECT 2", "sql_not_read_only"),
    ("SELECT * FROM read_csv('/etc/passwd')", "sql_forbidden"),
    ("SELECT * FROM '/etc/passwd'", "sql_forbidden"),
    ("SELECT * FROM glob('/*')", "sql_forbidden"),
    ("SELECT * FROM read_text('/etc/hostname')", "sql_forbidden"),
    ("SELECT * FROM read_parquet('https://example.com/x.parquet')", "sql_forbidden"),
    ("SELECT * FROM main.__v_1", "sql_forbidden"),
    ("SELEC 1", "sql_invalid"),
    ("", "sql_invalid"),
])
def test_writes_and_file_access_are_refused(loaded, query, code):
    with pytest.raises(InvalidInput) as err:
        loaded.sql(query)
    assert err.value.code == code


def test_internal_cache_tables_cannot_be_named(loaded):
    for _ in range(2):  # the second query of a version loads it into the cache
        loaded.sql("SELECT count(*) FROM tickets")
    for name in ("__v_1", '"__v_1"', "information_schema.tables", "duckdb_tables()"):
        with pytest.raises((NotFound, InvalidInput)):
            loaded.sql(f"SELECT * FROM {name}")


def test_unknown_tables(loaded):
    with pytest.raises(NotFound) as err:
        loaded.sql("SELECT * FROM nope")
    assert err.value.code == "dataset_not_found"
    with pytest.raises(NotFound) as err:
        loaded.sql('SELECT * FROM "tickets@99"')
    assert err.value.code == "version_not_found"
