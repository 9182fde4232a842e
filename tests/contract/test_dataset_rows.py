"""Sorting, filtering and paging rows (``datasets.rows``), the same on both doors."""

import pytest

from sluice.errors import InvalidInput

PEOPLE = [{"id": i, "name": f"p{i:02d}", "team": "ab"[i % 2], "score": (i * 7) % 10}
          for i in range(1, 21)]


def ids(page):
    return [r["id"] for r in page.rows]


def test_without_a_sort_rows_keep_their_key_order_across_versions(client):
    client.datasets.append("people", PEOPLE, key_column="id")
    client.datasets.append("people", [{"id": 3, "name": "relabeled", "team": "a", "score": 9}])
    page = client.datasets.rows("people", limit=5)
    assert ids(page) == [1, 2, 3, 4, 5]  # the updated row stays in place, not at the end
    assert page.rows[2]["name"] == "relabeled"
    assert (page.sort, page.descending, page.where, page.total) == (None, False, None, 20)


def test_sort_both_ways_with_ties_broken_so_pages_never_overlap(client):
    client.datasets.append("people", PEOPLE, key_column="id")
    up = client.datasets.rows("people", sort="score", limit=20)
    assert [r["score"] for r in up.rows] == sorted(p["score"] for p in PEOPLE)
    down = client.datasets.rows("people", sort="name", descending=True, limit=3)
    assert [r["name"] for r in down.rows] == ["p20", "p19", "p18"] and down.descending
    pages = [client.datasets.rows("people", sort="team", offset=o, limit=3)
             for o in range(0, 20, 3)]
    seen = [i for page in pages for i in ids(page)]
    assert sorted(seen) == list(range(1, 21))  # every row once, whatever the ties
    assert [r["team"] for page in pages for r in page.rows] == ["a"] * 10 + ["b"] * 10


def test_a_filter_counts_the_matching_rows_and_pages_through_them(client):
    client.datasets.append("people", PEOPLE, key_column="id")
    page = client.datasets.rows("people", where="team = 'a' AND score >= 4", limit=3)
    expected = [p["id"] for p in PEOPLE if p["team"] == "a" and p["score"] >= 4]
    assert page.total == len(expected) and ids(page) == expected[:3]
    rest = client.datasets.rows("people", where="team = 'a' AND score >= 4", offset=3,
                                limit=50, sort="id", descending=True, columns=["id", "name"])
    assert ids(rest) == sorted(expected, reverse=True)[3:]
    assert [c.name for c in rest.columns] == ["id", "name"]
    assert client.datasets.rows("people", where="  ").total == 20  # blank: no filter
    assert client.datasets.rows("people", where="id > 100").rows == []


def test_a_filter_on_a_keyless_table_keeps_storage_order(client):
    client.datasets.append("log", [{"n": n, "even": n % 2 == 0} for n in (5, 3, 8, 1, 6, 2)])
    assert ids_of(client.datasets.rows("log")) == [5, 3, 8, 1, 6, 2]
    assert ids_of(client.datasets.rows("log", where="even")) == [8, 6, 2]


def ids_of(page):
    return [r["n"] for r in page.rows]


@pytest.mark.parametrize("kwargs, code", [
    ({"sort": "nope"}, "column_not_found"),
    ({"where": "nope > 1"}, "invalid_filter"),
    ({"where": "1=1) OR (1=1"}, "invalid_filter"),
    ({"where": "id = 1; DROP TABLE people"}, "invalid_filter"),
    ({"where": "id IN (SELECT id FROM other)"}, "invalid_filter"),
    ({"where": "id IN (SELECT 1 FROM read_csv('/etc/passwd'))"}, "invalid_filter"),
    ({"where": "name = 'x' -- comment"}, None),
])
def test_unknown_columns_and_bad_filters_are_invalid_input(client, kwargs, code):
    client.datasets.append("people", PEOPLE, key_column="id")
    client.datasets.append("other", [{"id": 1}])
    if code is None:
        assert client.datasets.rows("people", **kwargs).total == 0
        return
    with pytest.raises(InvalidInput) as err:
        client.datasets.rows("people", **kwargs)
    assert err.value.code == code
    if code == "column_not_found":
        assert "score" in err.value.message and "score" in err.value.details["available"]
