"""Agreement statistics against hand-computed and published values."""

from __future__ import annotations

import pytest

from sluice.core.labels.agreement import (
    cohen_kappa,
    fleiss_kappa,
    krippendorff_alpha,
    per_class,
    span_f1,
)


def test_cohen_kappa_textbook_example() -> None:
    # 50 items: both "yes" 20, both "no" 15, a-yes/b-no 5, a-no/b-yes 10 -> kappa 0.4
    answers = {}
    plan = [("yes", "yes")] * 20 + [("no", "no")] * 15 + [("yes", "no")] * 5 + \
        [("no", "yes")] * 10
    for i, (a, b) in enumerate(plan):
        answers[str(i)] = {"a": a, "b": b}
    assert cohen_kappa(answers) == {"a|b": pytest.approx(0.4)}


def test_fleiss_kappa_wikipedia_example() -> None:
    # Fleiss (1971) as worked on Wikipedia: 10 items, 14 raters, 5 categories -> 0.210
    table = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0],
             [2, 2, 8, 1, 1], [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2],
             [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]]
    classes = ["1", "2", "3", "4", "5"]
    answers = {}
    for i, row in enumerate(table):
        labels = [c for c, n in zip(classes, row, strict=True) for _ in range(n)]
        answers[str(i)] = {f"r{j}": label for j, label in enumerate(labels)}
    assert fleiss_kappa(answers, classes) == pytest.approx(0.210, abs=0.001)


def test_krippendorff_alpha_nominal_with_missing_answers() -> None:
    # Krippendorff (2011), "Computing Krippendorff's alpha-reliability": 4 observers,
    # 12 units, missing values; nominal alpha 0.743
    n = None
    coders = [
        ["1", "2", "3", "3", "2", "1", "4", "1", "2", n, n, n],
        ["1", "2", "3", "3", "2", "2", "4", "1", "2", "5", n, "3"],
        [n, "3", "3", "3", "2", "3", "4", "2", "2", "5", "1", n],
        ["1", "2", "3", "3", "2", "4", "4", "1", "2", "5", "1", n],
    ]
    answers = {}
    for unit in range(12):
        answers[str(unit)] = {f"c{i}": row[unit] for i, row in enumerate(coders)
                              if row[unit] is not None}
    assert krippendorff_alpha(answers) == pytest.approx(0.743, abs=0.001)


def test_perfect_agreement_and_per_class() -> None:
    answers = {"1": {"a": "spam", "b": "spam"}, "2": {"a": "ham", "b": "ham"},
               "3": {"a": "spam", "b": "ham"}}
    alpha, positive, items = per_class(answers, "spam")
    assert items == 2 and positive == pytest.approx(2 / 3)
    assert alpha is not None and alpha < 1
    same = {"1": {"a": "x", "b": "x"}, "2": {"a": "y", "b": "y"}}
    assert krippendorff_alpha(same) == 1.0


def test_span_f1_pools_pairs_and_ignores_single_answers() -> None:
    a = frozenset({(0, 4, "URL"), (10, 12, "TIME")})
    b = frozenset({(0, 4, "URL")})
    spans = {"x": {"ann": a, "bob": b, "cy": a}, "y": {"ann": b}}
    f1, items = span_f1(spans)
    # pairs: ann-bob 2*1/(2+1), ann-cy 2*2/(2+2), bob-cy 2*1/(1+2): pooled 8/10
    assert items == 1 and f1 == pytest.approx(8 / 10)
    assert span_f1(spans, "TIME") == (pytest.approx(2 / 4), 1)
    assert span_f1({"x": {"ann": frozenset(), "bob": frozenset()}}) == (None, 1)
