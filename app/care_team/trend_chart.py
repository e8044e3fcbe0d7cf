"""A PHQ-9 / GAD-7 trend as a server-rendered SVG picture: no JavaScript, no CDN, no inline style.

``trend_svg`` is pure: it takes the scores (oldest first or not — they are sorted by time) and
returns markup ready to embed in a page, in two steps: ``layout`` checks the input and places every
piece (numbers and texts only), ``draw`` writes the markup for a layout. The picture has

* the severity bands shaded (PHQ-9 0–4/5–9/10–14/15–19/20–27, GAD-7 0–4/5–9/10–14/15–21), each
  a ``<rect class="band band-<name>">`` labelled on the right;
* a dashed target line (default: remission, a score under 5);
* the scores as a line and one ``<circle class="point">`` per score, oldest first, each with its own
  ``<title>`` (date, score, band) and ``data-score`` / ``data-date`` attributes;
* date labels under the first and last score (and a few between, never overlapping);
* ``role="img"``, an ``aria-label`` with the first and latest score, a ``<title>`` and a ``<desc>``
  listing every score, so a screen reader gets the same facts as the picture.

Every piece of text goes through ``markupsafe.escape``. With no scores the picture still draws the
bands and says "No scores yet". Dates are labelled as given: pass them in the reader's time zone.

Colours are SVG presentation attributes (``fill``/``stroke``), which our CSP (``style-src 'self'``)
allows; there is no ``style`` attribute. The picture scales with its container (``viewBox`` only).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup, escape

from app.care_team.measures import ITEM_COUNT, severity

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 36, 150, 16, 40  # plot margins: y ticks left, band names right, dates below
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
REMISSION_BELOW = 5
MAX_DATE_LABELS = 6
MIN_LABEL_GAP = 70  # px between date label centres

BAND_FILL = {
    "minimal": "#e3f2e6",
    "mild": "#f4f7d9",
    "moderate": "#fdf0d2",
    "moderately_severe": "#fde2cf",
    "severe": "#fbd3d3",
}
LINE_COLOUR, TARGET_COLOUR, TEXT_COLOUR = "#1f5f8b", "#1e6b3a", "#1d2430"


def _band_label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _day(at: datetime, with_year: bool = True) -> str:
    text = f"{at:%b} {at.day}"
    return f"{text}, {at.year}" if with_year else text


def _fmt(value: float) -> str:
    """Coordinates with at most one decimal, no trailing zeros."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _attrs(**attrs: object) -> str:
    parts = []
    for key, value in attrs.items():
        if value is None:
            continue
        name = key.rstrip("_").replace("_", "-")
        parts.append(f'{name}="{escape(value)}"')
    return " ".join(parts)


def _el(tag: str, text: str | None = None, **attrs: object) -> str:
    opening = f"<{tag} {_attrs(**attrs)}" if attrs else f"<{tag}"
    return f"{opening}/>" if text is None else f"{opening}>{escape(text)}</{tag}>"


@dataclass(frozen=True)
class BandBox:
    """One severity band as drawn: its score range and where its edges fall."""

    lower: int
    upper: int
    name: str
    y_top: float
    y_bottom: float


@dataclass(frozen=True)
class PlacedScore:
    at: datetime
    score: int
    band: str
    x: float
    y: float


@dataclass(frozen=True)
class Layout:
    """Everything ``draw`` needs, computed by ``layout``: no markup, only numbers and texts."""

    instrument: str
    target: int
    label: str  # the accessible name
    desc: str
    bands: list[BandBox]
    ticks: list[tuple[int, float]]  # (score, y)
    y_target: float
    scores: list[PlacedScore]  # oldest first
    date_labels: list[tuple[str, float]]  # (text, x), left to right


def trend_svg(points: list[tuple[datetime, int]], instrument: str, target: int | None = None) -> Markup:
    """The trend of one instrument's scores as inline SVG markup.

    ``points`` are (taken at, total score); ``instrument`` is "PHQ-9" or "GAD-7"; ``target`` is the
    score to get under (default 5, remission). Raises ``ValueError`` for an unknown instrument, a
    score outside the instrument's range or a target outside 1..max.
    """
    return draw(layout(points, instrument, target))


# --- layout: where everything goes ---------------------------------------------------------------


def layout(points: list[tuple[datetime, int]], instrument: str, target: int | None = None) -> Layout:
    """Check the input and place the bands, ticks, target line, scores and date labels."""
    if instrument not in ITEM_COUNT:
        raise ValueError("instrument must be PHQ-9 or GAD-7")
    band_list = bands(instrument)
    top = band_list[-1][1]
    target = REMISSION_BELOW if target is None else target
    if isinstance(target, bool) or not isinstance(target, int) or not 0 < target <= top:
        raise ValueError(f"target must be a whole number from 1 to {top}")
    ordered = sorted(points, key=lambda p: p[0])
    for _, score in ordered:
        if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= top:
            raise ValueError(f"{instrument} scores run from 0 to {top}")

    def y(score: float) -> float:
        return TOP + PLOT_H - score / top * PLOT_H

    severity_of = {s: name for low, high, name in band_list for s in range(low, high + 1)}
    label, desc = _accessible_text(ordered, instrument, target, severity_of)
    # Band edges sit half-way between whole scores, so a score of 5 is plainly inside "mild" and not
    # on the line between two bands.
    boxes = [
        BandBox(lower, upper, name, y(min(upper + 0.5, top)), y(max(lower - 0.5, 0)))
        for lower, upper, name in band_list
    ]
    ticks = [(tick, y(tick)) for tick in sorted({0, top, *(low for low, _, _ in band_list)})]
    xs = _x_positions([at for at, _ in ordered])
    scores = [
        PlacedScore(at, score, severity_of[score], cx, y(score)) for (at, score), cx in zip(ordered, xs, strict=True)
    ]
    return Layout(
        instrument=instrument,
        target=target,
        label=label,
        desc=desc,
        bands=boxes,
        ticks=ticks,
        y_target=y(target - 0.5),  # half-way below ``target``: scores under it sit below the line
        scores=scores,
        date_labels=_date_labels(scores),
    )


def _accessible_text(
    ordered: list[tuple[datetime, int]], instrument: str, target: int, severity_of: dict[int, str]
) -> tuple[str, str]:
    """The accessible name and description: the same facts as the picture."""
    if not ordered:
        return (
            f"{instrument} trend: no scores yet. Target: under {target}.",
            f"No {instrument} scores yet. Scores appear here after each check-in.",
        )
    (first_at, first), (last_at, last) = ordered[0], ordered[-1]
    count = "1 score" if len(ordered) == 1 else f"{len(ordered)} scores"
    label = (
        f"{instrument} trend, {count}: first {first} ({_band_label(severity_of[first]).lower()}) on "
        f"{_day(first_at)}, latest {last} ({_band_label(severity_of[last]).lower()}) on {_day(last_at)}. "
        f"Target: under {target}."
    )
    desc = "Scores, oldest first: " + "; ".join(f"{_day(at)}: {s}" for at, s in ordered) + "."
    return label, desc


def _x_positions(times: list[datetime]) -> list[float]:
    """By time; equal spacing when every score has the same timestamp; centred for one."""
    if not times:
        return []
    span = (times[-1] - times[0]).total_seconds()
    pad = 16
    inner = PLOT_W - 2 * pad

    def x(i: int, at: datetime) -> float:
        if len(times) == 1:
            return LEFT + PLOT_W / 2
        if span <= 0:
            return LEFT + pad + inner * i / (len(times) - 1)
        return LEFT + pad + inner * (at - times[0]).total_seconds() / span

    return [x(i, at) for i, at in enumerate(times)]


def _date_labels(scores: list[PlacedScore]) -> list[tuple[str, float]]:
    """First and last always; between them, as many as fit without overlapping."""
    chosen: list[int] = []
    for i in _label_candidates(len(scores)) if scores else []:
        if all(abs(scores[i].x - scores[j].x) >= MIN_LABEL_GAP for j in chosen):
            chosen.append(i)
    years = {s.at.year for s in scores}
    return [(_day(scores[i].at, len(years) > 1 or i == len(scores) - 1), scores[i].x) for i in sorted(chosen)]


# --- drawing: the layout as SVG markup -----------------------------------------------------------


def draw(placed: Layout) -> Markup:
    """The markup for a layout; every text and attribute value goes through ``escape``."""
    out = [_opening(placed), *_bands(placed), *_axis(placed), *_target(placed)]
    if not placed.scores:
        out.append(_empty())
    else:
        out += [*_scores(placed), *_dates(placed)]
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 -- every text and attribute value went through escape()


def _opening(placed: Layout) -> str:
    svg = _attrs(
        xmlns="http://www.w3.org/2000/svg",
        viewBox=f"0 0 {WIDTH} {HEIGHT}",
        class_="trend-chart",
        role="img",
        aria_label=placed.label,
        data_instrument=placed.instrument,
    )
    return f"<svg {svg}>" + _el("title", f"{placed.instrument} scores over time") + _el("desc", placed.desc)


def _bands(placed: Layout) -> list[str]:
    """Severity bands, lowest first, labelled on the right."""
    out = ['<g class="bands">']
    for band in placed.bands:
        out.append(
            _el(
                "rect",
                class_=f"band band-{band.name}",
                x=LEFT,
                y=_fmt(band.y_top),
                width=PLOT_W,
                height=_fmt(band.y_bottom - band.y_top),
                fill=BAND_FILL[band.name],
                data_range=f"{band.lower}-{band.upper}",
            )
        )
        out.append(
            _el(
                "text",
                f"{_band_label(band.name)} {band.lower}–{band.upper}",
                class_="band-label",
                x=LEFT + PLOT_W + 6,
                y=_fmt((band.y_top + band.y_bottom) / 2 + 4),
                font_size=11,
                fill=TEXT_COLOUR,
            )
        )
    out.append("</g>")
    return out


def _axis(placed: Layout) -> list[str]:
    """Y axis ticks at each band's lower edge and the top."""
    out = ['<g class="y-axis" font-size="11" text-anchor="end">']
    out += [_el("text", str(tick), x=LEFT - 6, y=_fmt(at + 4), fill=TEXT_COLOUR) for tick, at in placed.ticks]
    out.append("</g>")
    return out


def _target(placed: Layout) -> list[str]:
    line = _el(
        "line",
        class_="target",
        x1=LEFT,
        x2=LEFT + PLOT_W,
        y1=_fmt(placed.y_target),
        y2=_fmt(placed.y_target),
        stroke=TARGET_COLOUR,
        stroke_width=2,
        stroke_dasharray="6 4",
        data_target=placed.target,
    )
    label = _el(
        "text",
        f"Target: under {placed.target}",
        class_="target-label",
        x=LEFT + 4,
        y=_fmt(placed.y_target - 4),
        font_size=11,
        fill=TARGET_COLOUR,
    )
    return [line, label]


def _empty() -> str:
    return _el(
        "text",
        "No scores yet",
        class_="empty",
        x=LEFT + PLOT_W / 2,
        y=TOP + PLOT_H / 2,
        font_size=18,
        text_anchor="middle",
        fill=TEXT_COLOUR,
    )


def _scores(placed: Layout) -> list[str]:
    """The line through the scores (two or more) and one point per score, each with its title."""
    out = []
    if len(placed.scores) > 1:
        out.append(
            _el(
                "polyline",
                class_="trend-line",
                points=" ".join(f"{_fmt(s.x)},{_fmt(s.y)}" for s in placed.scores),
                fill="none",
                stroke=LINE_COLOUR,
                stroke_width=2.5,
            )
        )
    out.append('<g class="points">')
    for s in placed.scores:
        circle = _attrs(
            class_="point",
            cx=_fmt(s.x),
            cy=_fmt(s.y),
            r=5,
            fill=LINE_COLOUR,
            stroke="#fff",
            stroke_width=1.5,
            data_score=s.score,
            data_date=s.at.date().isoformat(),
        )
        title = _el("title", f"{_day(s.at)}: {s.score} ({_band_label(s.band).lower()})")
        out.append(f"<circle {circle}>{title}</circle>")
    out.append("</g>")
    return out


def _dates(placed: Layout) -> list[str]:
    out = ['<g class="dates" font-size="11" text-anchor="middle">']
    out += [
        _el("text", text, class_="date-label", x=_fmt(x), y=HEIGHT - BOTTOM + 18, fill=TEXT_COLOUR)
        for text, x in placed.date_labels
    ]
    out.append("</g>")
    return out


def _label_candidates(n: int) -> list[int]:
    """Indexes to try labelling, most important first: last, first, then evenly spread."""
    if n == 1:
        return [0]
    order = [n - 1, 0]
    steps = min(MAX_DATE_LABELS - 1, n - 1)
    order += [round(k * (n - 1) / steps) for k in range(1, steps)]
    seen: list[int] = []
    for i in order:
        if i not in seen:
            seen.append(i)
    return seen[:MAX_DATE_LABELS]


def bands(instrument: str) -> list[tuple[int, int, str]]:
    """(lowest, highest, name) of each severity band, lowest first, from ``measures.severity``."""
    result: list[tuple[int, int, str]] = []
    for score in range(ITEM_COUNT[instrument] * 3 + 1):
        name = severity(instrument, score)
        if result and result[-1][2] == name:
            result[-1] = (result[-1][0], score, name)
        else:
            result.append((score, score, name))
    return result
