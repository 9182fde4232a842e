"""Validation errors in words a person can act on."""

from sluice.api.validation import describe, problem, where


def test_places_and_problems_read_as_sentences():
    assert where(("query", "offset")) == "the query parameter 'offset'"
    assert where(("body", "rows", 0, "id")) == "the field 'rows.0.id'"
    assert where(("body",)) == "the request body"
    assert where(()) == "the request"
    assert problem({"type": "missing", "msg": "Field required"}) == "is required"
    assert problem({"type": "int_parsing", "input": "abc"}) == "must be a whole number (got 'abc')"
    assert problem({"type": "enum", "msg": "Input should be 'a' or 'b'", "input": "c"}) == (
        "should be 'a' or 'b' (got 'c')")
    assert problem({"type": "x", "msg": "Value error, Bad thing", "input": "y" * 100}).startswith(
        "is not valid: value error, Bad thing (got 'yyyy")


def test_describe_counts_the_other_problems():
    errors = [{"loc": ("query", "ids"), "type": "missing", "msg": "Field required"},
              {"loc": ("query", "k"), "type": "int_parsing", "input": "x"},
              {"loc": ("query", "j"), "type": "int_parsing", "input": "y"}]
    assert describe(errors) == "the query parameter 'ids' is required (and 2 more problems)"
    assert describe(errors[1:2]) == "the query parameter 'k' must be a whole number (got 'x')"
    assert describe([]) == "the request is not valid"
