"""The server-side trend picture: parseable SVG, bands, target line, points in time order, escaping."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
from markupsafe import Markup

from app.care_team.trend_chart import bands, trend_svg

NS = {"s": "http://www.w3.org/2000/svg"}
T0 = datetime(2025, 1, 6, 15, 0, tzinfo=UTC)


def parse(markup: Markup) -> ET.Element:
    assert isinstance(markup, Markup)
    return ET.fromstring(str(markup))  # noqa: S314 -- our own output


def points_of(root: ET.Element) -> list[ET.Element]:
    return root.findall(".//s:circle[@class='point']", NS)


def y_of_score(root: ET.Element, score: int) -> float:
    return float(next(c for c in points_of(root) if c.get("data-score") == str(score)).get("cy"))


def test_root_is_an_accessible_image():
    root = parse(trend_svg([(T0, 18), (T0 + timedelta(weeks=4), 9)], "PHQ-9"))
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("role") == "img"
    label = root.get("aria-label")
    assert "PHQ-9" in label and "first 18" in label and "latest 9" in label
    assert "Jan 6, 2025" in label and "Feb 3, 2025" in label
    assert root.find("s:title", NS).text == "PHQ-9 scores over time"
    desc = root.find("s:desc", NS).text
    assert "Jan 6, 2025: 18" in desc and "Feb 3, 2025: 9" in desc
    assert root.get("style") is None and not root.findall(".//*[@style]")  # CSP: no inline style


@pytest.mark.parametrize(
    ("instrument", "ranges"),
    [
        ("PHQ-9", ["0-4", "5-9", "10-14", "15-19", "20-27"]),
        ("GAD-7", ["0-4", "5-9", "10-14", "15-21"]),
    ],
)
def test_one_shaded_band_per_severity(instrument, ranges):
    root = parse(trend_svg([(T0, 7)], instrument))
    rects = root.findall(".//s:rect", NS)
    band_rects = [r for r in rects if "band" in r.get("class", "").split()]
    assert [r.get("data-range") for r in band_rects] == ranges
    assert all(r.get("fill") for r in band_rects)
    # Bands stack without gaps from the bottom of the plot to the top, lowest band lowest.
    edges = [(float(r.get("y")), float(r.get("y")) + float(r.get("height"))) for r in band_rects]
    for (top_low, _), (_, bottom_high) in itertools.pairwise(edges):
        assert bottom_high == pytest.approx(top_low, abs=0.11)
    labels = [t.text for t in root.findall(".//s:text[@class='band-label']", NS)]
    assert len(labels) == len(ranges) and labels[0] == "Minimal 0–4"


def test_band_list_matches_the_scoring_module():
    assert bands("PHQ-9") == [
        (0, 4, "minimal"),
        (5, 9, "mild"),
        (10, 14, "moderate"),
        (15, 19, "moderately_severe"),
        (20, 27, "severe"),
    ]
    assert bands("GAD-7")[-1] == (15, 21, "severe")


def test_points_are_in_time_order_whatever_the_input_order():
    data = [(T0 + timedelta(weeks=8), 6), (T0, 20), (T0 + timedelta(weeks=2), 15), (T0 + timedelta(weeks=4), 11)]
    root = parse(trend_svg(data, "PHQ-9"))
    circles = points_of(root)
    assert [c.get("data-score") for c in circles] == ["20", "15", "11", "6"]
    assert [c.get("data-date") for c in circles] == ["2025-01-06", "2025-01-20", "2025-02-03", "2025-03-03"]
    xs = [float(c.get("cx")) for c in circles]
    assert xs == sorted(xs) and len(set(xs)) == 4
    # Higher scores are drawn higher up (smaller y).
    ys = [float(c.get("cy")) for c in circles]
    assert ys == sorted(ys)
    line = root.find(".//s:polyline[@class='trend-line']", NS)
    pairs = [tuple(map(float, p.split(","))) for p in line.get("points").split()]
    assert [x for x, _ in pairs] == pytest.approx(xs)
    # Spacing follows time: 2 weeks, 2 weeks, 4 weeks.
    assert xs[3] - xs[2] == pytest.approx(2 * (xs[2] - xs[1]), abs=0.2)


def test_each_point_has_its_own_title():
    root = parse(trend_svg([(T0, 12)], "PHQ-9"))
    (circle,) = points_of(root)
    assert circle.find("s:title", NS).text == "Jan 6, 2025: 12 (moderate)"


def test_default_target_is_remission_under_5_drawn_between_4_and_5():
    root = parse(trend_svg([(T0, 4), (T0 + timedelta(days=14), 5)], "PHQ-9"))
    line = root.find(".//s:line[@class='target']", NS)
    assert line.get("data-target") == "5"
    y_line = float(line.get("y1"))
    assert y_of_score(root, 5) < y_line < y_of_score(root, 4)
    assert root.find(".//s:text[@class='target-label']", NS).text == "Target: under 5"
    assert "Target: under 5" in root.get("aria-label")


def test_custom_target():
    root = parse(trend_svg([(T0, 12), (T0 + timedelta(days=7), 9)], "GAD-7", target=10))
    line = root.find(".//s:line[@class='target']", NS)
    assert line.get("data-target") == "10"
    assert y_of_score(root, 12) < float(line.get("y1")) < y_of_score(root, 9)


def test_date_labels_first_and_last_and_never_too_many():
    data = [(T0 + timedelta(days=d), 10) for d in range(0, 60, 3)]  # 20 scores
    root = parse(trend_svg(data, "PHQ-9"))
    labels = root.findall(".//s:text[@class='date-label']", NS)
    texts = [t.text for t in labels]
    assert texts[0] == "Jan 6" and texts[-1] == "Mar 4, 2025"
    assert 2 <= len(texts) <= 6
    xs = [float(t.get("x")) for t in labels]
    assert all(b - a >= 70 for a, b in itertools.pairwise(xs))


def test_labels_carry_the_year_when_the_scores_span_two_years():
    root = parse(trend_svg([(datetime(2024, 12, 1, tzinfo=UTC), 10), (T0, 8)], "PHQ-9"))
    texts = [t.text for t in root.findall(".//s:text[@class='date-label']", NS)]
    assert texts == ["Dec 1, 2024", "Jan 6, 2025"]


def test_same_timestamp_scores_are_spread_not_stacked():
    root = parse(trend_svg([(T0, 10), (T0, 12), (T0, 14)], "PHQ-9"))
    xs = [float(c.get("cx")) for c in points_of(root)]
    assert len(set(xs)) == 3


def test_single_score_has_no_line_but_a_point_and_a_label():
    root = parse(trend_svg([(T0, 27)], "PHQ-9"))
    assert root.find(".//s:polyline", NS) is None
    assert len(points_of(root)) == 1
    assert "1 score" in root.get("aria-label")
    assert [t.text for t in root.findall(".//s:text[@class='date-label']", NS)] == ["Jan 6, 2025"]


def test_empty_list_is_a_readable_no_scores_yet_figure():
    root = parse(trend_svg([], "GAD-7"))
    assert root.get("role") == "img"
    assert "no scores yet" in root.get("aria-label").lower()
    assert "No GAD-7 scores yet" in root.find("s:desc", NS).text
    assert root.find(".//s:text[@class='empty']", NS).text == "No scores yet"
    assert not points_of(root) and root.find(".//s:polyline", NS) is None
    assert len(root.findall(".//s:rect", NS)) == 4  # the bands still show what the scale means


def test_all_text_is_escaped():
    markup = trend_svg([(T0, 3)], "PHQ-9")
    assert "<script" not in str(markup)
    # Instrument names are checked, so nothing untrusted reaches the picture; attributes are quoted.
    with pytest.raises(ValueError):
        trend_svg([(T0, 3)], '<script>alert(1)</script>"')
    parse(markup)  # well-formed XML, so every & < > " in text and attributes was escaped


def test_escaping_of_attribute_and_text_helpers():
    from app.care_team.trend_chart import _el

    out = _el("text", '<b>&"x"</b>', data_note='"><script>')
    assert out == '<text data-note="&#34;&gt;&lt;script&gt;">&lt;b&gt;&amp;&#34;x&#34;&lt;/b&gt;</text>'
    parse(Markup(out))  # noqa: S704


@pytest.mark.parametrize("bad", [-1, 28, True, 3.5])
def test_scores_out_of_range_are_refused(bad):
    with pytest.raises(ValueError):
        trend_svg([(T0, bad)], "PHQ-9")


def test_gad7_top_is_21():
    with pytest.raises(ValueError):
        trend_svg([(T0, 22)], "GAD-7")
    root = parse(trend_svg([(T0, 21)], "GAD-7"))
    assert y_of_score(root, 21) == pytest.approx(16)  # the top of the plot


@pytest.mark.parametrize("bad", [0, 28, True])
def test_target_out_of_range_is_refused(bad):
    with pytest.raises(ValueError):
        trend_svg([], "PHQ-9", target=bad)
