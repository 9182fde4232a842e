"""Links in a table change one part of its state (the URL query) and keep the rest."""

from starlette.requests import Request

from sluice.web.tables import sort_state, with_query


def request(query: str) -> Request:
    return Request({"type": "http", "method": "GET", "path": "/datasets/t",
                    "query_string": query.encode(), "headers": []})


def test_with_query_replaces_drops_and_keeps_repeated_parameters() -> None:
    r = request("version=3&where=a+%3D+1&cols=a&cols=b&offset=50")
    assert with_query(r, sort="score", desc=True, offset=None) == \
        "?version=3&where=a+%3D+1&cols=a&cols=b&sort=score&desc=1"
    assert with_query(r, where="", desc=False) == "?version=3&cols=a&cols=b&offset=50"
    assert with_query(request(""), offset=None) == "?"


def test_a_header_sorts_ascending_first_then_flips() -> None:
    assert sort_state(None, False, "score") == {"sort": "score", "desc": False, "aria": None}
    assert sort_state("score", False, "score") == {"sort": "score", "desc": True,
                                                   "aria": "ascending"}
    assert sort_state("score", True, "score") == {"sort": "score", "desc": False,
                                                  "aria": "descending"}
    assert sort_state("name", True, "score")["aria"] is None
