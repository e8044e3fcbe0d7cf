"""A PHQ-9 / GAD-7 trend as a server-rendered SVG picture: no JavaScript, no CDN, no inline style.

``trend_svg`` is pure: it takes the scores (oldest first or not — they are sorted by time) and
returns markup ready to embed in a page. The picture has

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


def trend_svg(points: list[tuple[datetime, int]], instrument: str, target: int | None = None) -> Markup:
    """The trend of one instrument's scores as inline SVG markup.

    ``points`` are (taken at, total score); ``instrument`` is "PHQ-9" or "GAD-7"; ``target`` is the
    score to get under (default 5, remission). Raises ``ValueError`` for an unknown instrument, a
    score outside the instrument's range or a target outside 1..max.
    """
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

    out: list[str] = []
    # Accessible name and description.
    severity_of = {s: name for low, high, name in band_list for s in range(low, high + 1)}
    if ordered:
        (first_at, first), (last_at, last) = ordered[0], ordered[-1]
        count = "1 score" if len(ordered) == 1 else f"{len(ordered)} scores"
        label = (
            f"{instrument} trend, {count}: first {first} ({_band_label(severity_of[first]).lower()}) on "
            f"{_day(first_at)}, latest {last} ({_band_label(severity_of[last]).lower()}) on {_day(last_at)}. "
            f"Target: under {target}."
        )
        desc = "Scores, oldest first: " + "; ".join(f"{_day(at)}: {s}" for at, s in ordered) + "."
    else:
        label = f"{instrument} trend: no scores yet. Target: under {target}."
        desc = f"No {instrument} scores yet. Scores appear here after each check-in."
    out.append(
        "<svg "
        + _attrs(
            xmlns="http://www.w3.org/2000/svg",
            viewBox=f"0 0 {WIDTH} {HEIGHT}",
            class_="trend-chart",
            role="img",
            aria_label=label,
            data_instrument=instrument,
        )
        + ">"
    )
    out.append(_el("title", f"{instrument} scores over time"))
    out.append(_el("desc", desc))

    # Severity bands, lowest first, labelled on the right. Edges sit half-way between whole scores,
    # so a score of 5 is plainly inside "mild" and not on the line between two bands.
    out.append('<g class="bands">')
    for lower, upper, name in band_list:
        y_top, y_bottom = y(min(upper + 0.5, top)), y(max(lower - 0.5, 0))
        out.append(
            _el(
                "rect",
                class_=f"band band-{name}",
                x=LEFT,
                y=_fmt(y_top),
                width=PLOT_W,
                height=_fmt(y_bottom - y_top),
                fill=BAND_FILL[name],
                data_range=f"{lower}-{upper}",
            )
        )
        out.append(
            _el(
                "text",
                f"{_band_label(name)} {lower}–{upper}",
                class_="band-label",
                x=LEFT + PLOT_W + 6,
                y=_fmt((y_top + y_bottom) / 2 + 4),
                font_size=11,
                fill=TEXT_COLOUR,
            )
        )
    out.append("</g>")

    # Y axis ticks at each band's lower edge and the top.
    out.append('<g class="y-axis" font-size="11" text-anchor="end">')
    ticks = sorted({0, top, *(low for low, _, _ in band_list)})
    for tick in ticks:
        out.append(_el("text", str(tick), x=LEFT - 6, y=_fmt(y(tick) + 4), fill=TEXT_COLOUR))
    out.append("</g>")

    # Target line, half-way below ``target``: scores under it sit below the line.
    y_target = y(target - 0.5)
    out.append(
        _el(
            "line",
            class_="target",
            x1=LEFT,
            x2=LEFT + PLOT_W,
            y1=_fmt(y_target),
            y2=_fmt(y_target),
            stroke=TARGET_COLOUR,
            stroke_width=2,
            stroke_dasharray="6 4",
            data_target=target,
        )
    )
    out.append(
        _el(
            "text",
            f"Target: under {target}",
            class_="target-label",
            x=LEFT + 4,
            y=_fmt(y_target - 4),
            font_size=11,
            fill=TARGET_COLOUR,
        )
    )

    if not ordered:
        out.append(
            _el(
                "text",
                "No scores yet",
                class_="empty",
                x=LEFT + PLOT_W / 2,
                y=TOP + PLOT_H / 2,
                font_size=18,
                text_anchor="middle",
                fill=TEXT_COLOUR,
            )
        )
        out.append("</svg>")
        return Markup("".join(out))  # noqa: S704 -- every text and attribute value went through escape()

    # X positions: by time; equal spacing when every score has the same timestamp; centred for one.
    span = (ordered[-1][0] - ordered[0][0]).total_seconds()
    pad = 16
    inner = PLOT_W - 2 * pad

    def x(i: int, at: datetime) -> float:
        if len(ordered) == 1:
            return LEFT + PLOT_W / 2
        if span <= 0:
            return LEFT + pad + inner * i / (len(ordered) - 1)
        return LEFT + pad + inner * (at - ordered[0][0]).total_seconds() / span

    coords = [(x(i, at), y(score)) for i, (at, score) in enumerate(ordered)]
    if len(coords) > 1:
        out.append(
            _el(
                "polyline",
                class_="trend-line",
                points=" ".join(f"{_fmt(cx)},{_fmt(cy)}" for cx, cy in coords),
                fill="none",
                stroke=LINE_COLOUR,
                stroke_width=2.5,
            )
        )
    out.append('<g class="points">')
    for (at, score), (cx, cy) in zip(ordered, coords, strict=True):
        out.append(
            "<circle "
            + _attrs(
                class_="point",
                cx=_fmt(cx),
                cy=_fmt(cy),
                r=5,
                fill=LINE_COLOUR,
                stroke="#fff",
                stroke_width=1.5,
                data_score=score,
                data_date=at.date().isoformat(),
            )
            + ">"
            + _el("title", f"{_day(at)}: {score} ({_band_label(severity_of[score]).lower()})")
            + "</circle>"
        )
    out.append("</g>")

    # Date labels: first and last always; between them, as many as fit without overlapping.
    out.append('<g class="dates" font-size="11" text-anchor="middle">')
    chosen: list[int] = []
    for i in _label_candidates(len(ordered)):
        if all(abs(coords[i][0] - coords[j][0]) >= MIN_LABEL_GAP for j in chosen):
            chosen.append(i)
    years = {at.year for at, _ in ordered}
    for i in sorted(chosen):
        at = ordered[i][0]
        with_year = len(years) > 1 or i == len(ordered) - 1
        out.append(
            _el(
                "text",
                _day(at, with_year),
                class_="date-label",
                x=_fmt(coords[i][0]),
                y=HEIGHT - BOTTOM + 18,
                fill=TEXT_COLOUR,
            )
        )
    out.append("</g>")
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 -- every text and attribute value went through escape()


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
