"""Views and search through the client (local, remote, local on PostgreSQL)."""

import re
from pathlib import Path

import pytest

from sluice.core.jobs.models import JobState
from sluice.errors import InvalidInput, NotFound

NOTES = [
    {"title": "volcano", "year": 2019, "text": "# Volcanoes\n\nMagma rises through the crust "
     "and erupts as lava. Basalt forms when lava cools quickly near the surface."},
    {"title": "bread", "year": 2021, "text": "# Baking\n\nSourdough bread needs a starter of "
     "wild yeast, flour and water; the dough proofs overnight before baking."},
    {"title": "sailing", "year": 2022, "text": "# Sailing\n\nTo tack, turn the bow through "
     "the wind so the sails fill on the other side of the boat."},
    {"title": "python", "year": 2023, "text": "# Programming\n\nA Python generator yields "
     "values lazily; iterate it with a for loop or call next() on it."},
    {"title": "tea", "year": 2020, "text": "# Tea\n\nGreen tea is steeped at about 80 degrees "
     "for two minutes; black tea takes boiling water and longer steeping."},
]


@pytest.fixture
def notes(client):
    client.datasets.append("notes", NOTES, key_column="title")
    view = client.views.create("notes_chunks", "notes", chunk_size=40, chunk_overlap=5,
                               auto_sync=False)
    assert view.chunks >= 5 and view.version == 1 and view.source_version == 1
    return client


@pytest.mark.parametrize("mode", ["text", "vector", "hybrid"])
def test_each_mode_finds_the_right_document(notes, mode):
    results = notes.search("notes_chunks", "how long to steep green tea", mode=mode, k=3)
    top = results.hits[0]
    assert top.parent_key == "tea" and top.dataset == "notes" and top.version == 1
    assert results.mode == mode and results.view_version == 1 and not results.stale
    assert any(top.text[s:e].lower() in {"steep", "steeped", "steeping", "green", "tea"}
               for s, e in top.highlights)
    assert top.heading == "Tea"


def test_vector_search_matches_meaning_without_shared_words(notes):
    hits = notes.search("notes_chunks", "molten rock from a mountain", mode="vector", k=1).hits
    assert hits[0].parent_key == "volcano"


def test_where_filters_on_source_rows(notes):
    results = notes.search("notes", "tea bread lava", mode="hybrid", k=5, where="year >= 2021")
    assert results.view == "notes_chunks"  # a dataset with one view stands for it
    assert {h.parent_key for h in results.hits} <= {"bread", "sailing", "python"}
    assert "bread" in {h.parent_key for h in results.hits}


def test_sync_is_incremental_and_follows_deletes(notes):
    notes.datasets.append("notes", [{"title": "chess", "year": 2024,
                                     "text": "The Sicilian defence answers e4 with c5."}],
                          key_column="title")
    assert notes.views.get("notes_chunks").stale
    assert notes.search("notes_chunks", "Sicilian", mode="text").stale
    job = notes.views.sync("notes_chunks")
    assert job.state == JobState.SUCCEEDED, job.error
    assert job.result["rows_rechunked"] == 1 and job.result["removed"] == 0
    assert notes.search("notes_chunks", "Sicilian defence", k=1).hits[0].parent_key == "chess"
    notes.datasets.delete_rows("notes", "title = 'chess'")
    job = notes.views.sync("notes_chunks")
    assert job.result["rows_rechunked"] == 0 and job.result["parents_removed"] == 1
    hits = notes.search("notes_chunks", "Sicilian defence", k=5).hits
    assert "chess" not in {h.parent_key for h in hits}
    again = notes.views.sync("notes_chunks")
    assert again.result["changed"] is False
    assert notes.views.get("notes_chunks").version == 3


def test_views_are_listed_queryable_in_sql_and_deleted(notes):
    assert [v.name for v in notes.views.list()] == ["notes_chunks"]
    rows = notes.sql("SELECT parent_key, count(*) AS n FROM notes_chunks GROUP BY 1").rows()
    assert {r["parent_key"] for r in rows} == {n["title"] for n in NOTES}
    notes.views.delete("notes_chunks")
    with pytest.raises(NotFound) as err:
        notes.search("notes_chunks", "tea")
    assert err.value.code == "view_not_found"


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"query": ""}, "query_empty"),
    ({"query": "x" * 5000}, "query_too_long"),
    ({"query": "tea", "k": 0}, "invalid_k"),
    ({"query": "tea", "mode": "fuzzy"}, "invalid_search_mode"),
    ({"query": "tea", "where": "no_such_column > 1"}, "sql_invalid"),
    ({"query": "tea", "where": "1=1; DROP TABLE notes"}, "invalid_predicate"),
    ({"query": "tea", "where": "1=1) OR (1=1"}, "invalid_predicate"),
])
def test_bad_queries_get_clear_errors(notes, kwargs, code):
    with pytest.raises(InvalidInput) as err:
        notes.search("notes_chunks", **kwargs)
    assert err.value.code == code


def test_query_syntax_characters_are_plain_text(notes):
    for query in ['"unbalanced', "tea AND (", "a:b OR NOT", "*", "tea^2 ~ -"]:
        notes.search("notes_chunks", query, mode="text")


def test_bad_views_are_refused(client):
    client.datasets.append("nums", [{"n": 1, "text": "one"}])
    with pytest.raises(InvalidInput) as err:
        client.views.create("v1", "nums", column="n")
    assert err.value.code == "column_not_text"
    with pytest.raises(NotFound) as err:
        client.views.create("v2", "nums", column="missing")
    assert err.value.code == "column_not_found"
    with pytest.raises(NotFound) as err:
        client.views.create("v3", "no_such_dataset")
    assert err.value.code == "dataset_not_found"
    with pytest.raises(NotFound) as err:
        client.search("nums", "one")
    assert err.value.code == "view_not_found"
    assert [d.name for d in client.datasets.list()] == ["nums"]


def test_semantic_sql(notes):
    rows = notes.sql(
        "SELECT s.rank, s.parent_key, n.year FROM search('notes_chunks', 'steeping tea', 3) "
        "AS s JOIN notes n ON n._key = s.parent_key ORDER BY s.rank").rows()
    assert rows[0]["parent_key"] == "tea" and rows[0]["year"] == 2020
    ranked = notes.sql(
        "SELECT parent_key, cosine(embedding, embed('molten rock from a mountain')) AS sim "
        "FROM notes_chunks ORDER BY sim DESC LIMIT 1").rows()
    assert ranked[0]["parent_key"] == "volcano" and 0 < ranked[0]["sim"] <= 1
    text_only = notes.sql("SELECT count(*) AS n FROM search('notes', 'zebra', 5, 'text')")
    assert text_only.rows() == [{"n": 0}]
    assert notes.sql("SELECT embed(NULL) AS e").rows() == [{"e": None}]
    with pytest.raises(InvalidInput) as err:
        notes.sql("SELECT * FROM search('notes_chunks', (SELECT 'x'), 3)")
    assert err.value.code == "sql_invalid"
    with pytest.raises(NotFound) as err:
        notes.sql("SELECT * FROM search('missing', 'tea')")
    assert err.value.code == "view_not_found"


def test_the_demo_is_searchable_out_of_the_box(platform, ctx):
    from sluice.demo.data import load_demo

    assert load_demo(platform, ctx) == ["wine", "tickets", "docs", "docs_chunks"]
    for job in platform.jobs.list(ctx, kind="views.sync"):
        assert platform.jobs.wait(ctx, job.id).state == JobState.SUCCEEDED
    hits = platform.search.search(ctx, "docs", "restore an older version", k=3).hits
    assert hits and all(h.dataset == "docs" for h in hits)
    assert load_demo(platform, ctx) == []  # a second start loads nothing again
    guide = (Path(__file__).resolve().parents[2] / "docs" / "guide.md").read_text()
    for block in re.findall(r"```sql\n(.*?)```", guide, flags=re.S):
        for statement in filter(str.strip, block.split(";")):
            assert platform.sql.query(ctx, statement).table.num_rows > 0, statement


def test_rows_without_text_do_not_make_every_sync_commit(client):
    client.datasets.append("mixed", [{"title": "a", "text": "Some words about tea."},
                                     {"title": "b", "text": None}, {"title": "c", "text": " "}],
                           key_column="title")
    view = client.views.create("mixed_chunks", "mixed", auto_sync=False)
    assert view.chunks == 1
    again = client.views.sync("mixed_chunks")
    assert again.result["changed"] is False and client.views.get("mixed_chunks").version == 1
