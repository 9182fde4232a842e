"""User-written SQL predicates (a search ``where``, a labeling function's condition).

A predicate is placed into a query Sluice writes (``... WHERE (<predicate>) ORDER BY ...``),
so it must be exactly one expression: text that closes the parenthesis it sits in
(``1=1) OR (1=1``), adds a set operation, or comments out the rest does not parse as one.
It is stored and run as DuckDB prints it back, without comments.
"""

from __future__ import annotations

import duckdb

from sluice.errors import InvalidInput

MAX_PREDICATE = 10_000


def one_expression(raw: str, *, code: str = "invalid_predicate") -> str:
    """``raw`` parsed as exactly one SQL expression and printed back.

    Raises:
        InvalidInput: empty, too long, or not one expression (with ``code``).
    """
    if not isinstance(raw, str) or not raw.strip() or len(raw) > MAX_PREDICATE:
        raise InvalidInput(f"give one SQL condition such as \"year > 2020\" (1..{MAX_PREDICATE} "
                           "characters)", code=code)
    try:
        return str(duckdb.SQLExpression(raw))
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0][:300]
        raise InvalidInput(f"not one SQL condition: {first}", code=code) from exc
