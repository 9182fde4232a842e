"""The web UI's SVG charts: round ticks, short labels that fit, axis titles, and
histograms that say what their bars hold."""

from __future__ import annotations

import math

import pytest

from sluice.web.charts import histogram, line_chart, nice_ticks, tick_labels


@pytest.mark.parametrize(("lo", "hi"), [(0.9736, 0.9981), (12.25, 36.75), (2.9e-5, 3.4e-4),
                                        (0, 49), (-1.5, 2.5), (0, 2.5e6), (3, 3)])
def test_ticks_are_round_cover_the_data_and_have_short_labels(lo: float, hi: float) -> None:
    ticks = nice_ticks(lo, hi)
    assert ticks[0] <= lo and ticks[-1] >= hi and 2 <= len(ticks) <= 8
    step = ticks[1] - ticks[0]
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert round(mantissa, 6) in (1, 2, 2.5, 5, 10)
    labels = tick_labels(ticks)
    assert len(set(labels)) == len(labels) and max(map(len, labels)) <= 7


def test_the_cases_people_reported() -> None:
    assert tick_labels(nice_ticks(12.25, 36.75)) == ["10", "15", "20", "25", "30", "35", "40"]
    assert all(len(t) <= 5 for t in tick_labels(nice_ticks(0.9736, 0.9981)))


def test_a_chart_leaves_room_for_its_labels_and_names_its_axes() -> None:
    chart = line_chart({"loss": [(0, 0.000029), (10, 0.00034)]}, y_title="loss")
    longest = max(len(t["label"]) for t in chart["yticks"])
    assert chart["left"] >= 7 * longest + 20 and chart["x_title"] == "step"
    assert chart["y_title"] == "loss" and chart["lines"][0]["points"]
    assert line_chart({})["lines"] == []


def test_histogram_bars_carry_their_range_and_count() -> None:
    bars = histogram([1, 3, 0], [0.0, 0.5, 1.0, 1.5])
    assert [b["range"] for b in bars] == ["0 to 0.5", "0.5 to 1.0", "1.0 to 1.5"]
    assert [b["count"] for b in bars] == [1, 3, 0] and bars[1]["h"] == 40
    assert histogram([2, 2])[1]["range"] == "1 to 2"  # no edges: bin numbers


def test_line_points_carry_their_values_for_hover():
    long = [(float(i), i / 1000) for i in range(1000)]
    line = line_chart({"acc": long, "short": [(0, 1.0), (1, 2.0)]})["lines"]
    assert len(line[0]["marks"]) <= 60 and line[0]["marks"][-1]["value"] == long[-1][1]
    assert [m["step"] for m in line[1]["marks"]] == [0, 1]
