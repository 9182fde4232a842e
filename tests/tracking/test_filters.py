"""MLflow's filter language: what parses, what is refused and why."""

from __future__ import annotations

import pytest

from sluice.core.tracking.filters import Condition, parse_filter, parse_order_by
from sluice.errors import InvalidInput


@pytest.mark.parametrize(("text", "expected"), [
    ("metrics.acc > 0.9", [Condition("metric", "acc", ">", 0.9)]),
    ("metric.`my loss` <= 1e-3", [Condition("metric", "my loss", "<=", 0.001)]),
    ("params.lr = '0.1' and tags.team != \"ml\"",
     [Condition("param", "lr", "=", "0.1"), Condition("tag", "team", "!=", "ml")]),
    ("tags.\"mlflow.runName\" LIKE 'run-%'",
     [Condition("tag", "mlflow.runName", "LIKE", "run-%")]),
    ("attributes.status IN ('FINISHED', 'FAILED')",
     [Condition("attribute", "status", "IN", ("FINISHED", "FAILED"))]),
    ("status = 'RUNNING' AND attributes.start_time >= 1700000000000",
     [Condition("attribute", "status", "=", "RUNNING"),
      Condition("attribute", "start_time", ">=", 1.7e12)]),
    ("tags.owner IS NULL", [Condition("tag", "owner", "IS NULL", None)]),
    ("params.x ILIKE '%A%'", [Condition("param", "x", "ILIKE", "%A%")]),
    ("tags.mlflow.parentRunId = 'abc'", [Condition("tag", "mlflow.parentRunId", "=", "abc")]),
    ("metrics.val.loss < 1", [Condition("metric", "val.loss", "<", 1.0)]),
    ("", []),
])
def test_valid_filters(text: str, expected: list[Condition]) -> None:
    assert parse_filter(text) == expected


@pytest.mark.parametrize("text", [
    "metrics.acc > 'high'",            # a metric compared with a string
    "params.lr > '0.1'",               # params only support = != LIKE ILIKE
    "params.lr = 0.1",                 # params are strings: quote the value
    "metrics.acc >",                   # ends too early
    "metrics.acc > 0.9 OR metrics.f1 > 0.9",  # OR is not part of the language
    "bogus.acc > 1",                   # unknown entity type
    "attributes.color = 'red'",        # unknown attribute
    "metrics.acc LIKE '0.9'",          # LIKE on a number
    "metrics.acc > 0.9; DROP TABLE runs",
])
def test_invalid_filters_say_why(text: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_filter(text)
    assert err.value.code == "invalid_filter"
    assert "invalid filter" in err.value.message


def test_order_by() -> None:
    assert parse_order_by(["metrics.acc DESC", "start_time", "params.`lr` asc"]) == [
        ("metric", "acc", False), ("attribute", "start_time", True), ("param", "lr", True)]
    with pytest.raises(InvalidInput):
        parse_order_by(["metrics.acc SIDEWAYS"])
