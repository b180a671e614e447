"""The SVG charts: well-formed, accessible (title, description, axis labels), no script, every
text escaped, bars and lines where the numbers put them."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest

from app.admin.charts import bar_chart, daily_ticks, line_chart, nice_max

NS = {"svg": "http://www.w3.org/2000/svg"}


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def test_a_bar_chart_is_accessible_svg_with_one_bar_per_value():
    svg = bar_chart([3, 0, 6], labels=["high", "default", "low"], title="Queue depth",
                    x_label="Queue", y_label="Jobs waiting")

    root = parse(svg)
    assert root.get("role") == "img"
    title_id, desc_id = root.get("aria-labelledby").split()
    assert root.find(f"svg:title[@id='{title_id}']", NS).text == "Queue depth"
    assert root.find(f"svg:desc[@id='{desc_id}']", NS).text == (
        "Queue depth. high: 3; default: 0; low: 6")
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "Queue" in texts and "Jobs waiting" in texts
    assert {"high", "default", "low"} <= set(texts)
    bars = root.findall("svg:rect", NS)
    assert [b.find("svg:title", NS).text for b in bars] == ["high: 3", "default: 0", "low: 6"]
    heights = [float(b.get("height")) for b in bars]
    assert heights[1] == 0 and heights[0] * 2 == pytest.approx(heights[2])
    assert "<script" not in svg.lower() and "http://" not in svg.replace(
        'xmlns="http://www.w3.org/2000/svg"', "")


def test_every_text_is_escaped():
    svg = bar_chart([1], labels=["<b>&"], title="A <script>alert(1)</script> chart",
                    x_label="x & y", y_label='"quoted"')

    assert "<script>" not in svg and "&lt;script&gt;" in svg
    root = parse(svg)  # still well-formed
    assert root.find("svg:title", NS).text == "A <script>alert(1)</script> chart"


def test_a_line_chart_draws_each_series_with_a_legend_and_ticks():
    renders = [0] * 168
    renders[167] = 4
    failures = [0] * 168
    failures[0] = 2
    start = datetime(2026, 11, 23, 13, tzinfo=UTC)

    svg = line_chart({"renders": renders, "failures": failures},
                     title="Renders and failures per hour", x_label="Hour (UTC)",
                     y_label="Jobs", x_ticks=daily_ticks(start, 168))

    root = parse(svg)
    lines = root.findall("svg:polyline", NS)
    assert [line.find("svg:title", NS).text for line in lines] == ["renders", "failures"]
    assert all(len(line.get("points").split()) == 168 for line in lines)
    last_point = lines[0].get("points").split()[-1]
    first_fail = lines[1].get("points").split()[0]
    assert float(last_point.split(",")[1]) < float(first_fail.split(",")[1])  # 4 is above 2
    desc = root.find("svg:desc", NS).text
    assert "renders: total 4, highest 4" in desc and "failures: total 2, highest 2" in desc
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "Tue 24" in texts and "Sun 29" in texts and "Hour (UTC)" in texts


def test_the_scale_rounds_up_to_a_readable_top():
    assert [nice_max(v) for v in (0, 0.3, 1, 3, 7, 12, 180)] == [1, 0.5, 1, 5, 10, 20, 200]


def test_mismatched_inputs_are_refused():
    with pytest.raises(ValueError):
        bar_chart([1, 2], labels=["one"], title="t", x_label="x", y_label="y")
    with pytest.raises(ValueError):
        line_chart({"a": [1], "b": [1, 2]}, title="t", x_label="x", y_label="y")
