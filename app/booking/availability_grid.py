"""The availability editor's weekly grid and date overrides as rows of time fields, read and checked
without Flask: each problem is told in plain words next to the field it is about (a range that ends
before it starts, two ranges of one day that overlap, an override without a date).

Field names: ``w{weekday}-{n}-start``/``-end`` for weekly ranges, ``o{n}-date``/``-start``/``-end``/``-off``
for date overrides. ``<input type=time>`` cannot say 24:00, so an end of 00:00 means the day's end.
What the rows become is the availability document's ``weekly`` and ``overrides`` (the API's shape).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from app.booking.slots import MINUTES_PER_DAY, format_hhmm, parse_hhmm
from app.validation import parse_day

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MAX_ROWS = 24  # per day, and for the overrides: the document's own bound on a day's intervals


@dataclass
class Row:
    start: str = ""
    end: str = ""


@dataclass
class OverrideRow(Row):
    day: str = ""
    off: bool = False


@dataclass
class Rows:
    weekly: dict[int, list[Row]] = field(default_factory=lambda: {d: [] for d in range(7)})
    overrides: list[OverrideRow] = field(default_factory=list)


def _shown_end(value: str) -> str:
    return "00:00" if value == "24:00" else value


def from_document(doc: Mapping[str, Any]) -> Rows:
    rows = Rows()
    for item in sorted(doc.get("weekly", ()), key=lambda w: (w["weekday"], w["start"])):
        rows.weekly[item["weekday"]].append(Row(item["start"], _shown_end(item["end"])))
    for item in sorted(doc.get("overrides", ()), key=lambda o: o["date"]):
        if not item["intervals"]:
            rows.overrides.append(OverrideRow(day=item["date"], off=True))
        for interval in item["intervals"]:
            rows.overrides.append(OverrideRow(interval["start"], _shown_end(interval["end"]), item["date"]))
    return rows


def from_form(form: Mapping[str, str]) -> Rows:
    rows = Rows()
    for d in range(7):
        for n in range(MAX_ROWS):
            if f"w{d}-{n}-start" in form or f"w{d}-{n}-end" in form:
                rows.weekly[d].append(
                    Row(form.get(f"w{d}-{n}-start", "").strip(), form.get(f"w{d}-{n}-end", "").strip())
                )
    for n in range(MAX_ROWS):
        if f"o{n}-date" in form:
            rows.overrides.append(
                OverrideRow(form.get(f"o{n}-start", "").strip(), form.get(f"o{n}-end", "").strip(),
                            form.get(f"o{n}-date", "").strip(), form.get(f"o{n}-off") == "yes")
            )  # fmt: skip
    return rows


def edit(rows: Rows, action: str) -> bool:
    """Apply an add or remove button (``add:w3``, ``remove:w3-1``, ``add:o``, ``remove:o2``); True if it was one."""
    verb, _, target = action.partition(":")
    if verb == "add" and target == "o" and len(rows.overrides) < MAX_ROWS:
        rows.overrides.append(OverrideRow())
        return True
    if verb == "add" and target[:1] == "w" and target[1:].isdigit() and int(target[1:]) in rows.weekly:
        day = rows.weekly[int(target[1:])]
        if len(day) < MAX_ROWS:
            day.append(Row())
        return True
    if verb == "remove" and target[:1] == "o" and target[1:].isdigit():
        if int(target[1:]) < len(rows.overrides):
            del rows.overrides[int(target[1:])]
        return True
    if verb == "remove" and target[:1] == "w":
        d, _, n = target[1:].partition("-")
        if d.isdigit() and n.isdigit() and int(d) in rows.weekly and int(n) < len(rows.weekly[int(d)]):
            del rows.weekly[int(d)][int(n)]
        return True
    return False


def _minutes(row: Row, key: str, errors: dict[str, str]) -> tuple[int, int] | None:
    """The row's [start, end) in minutes, or None with the reason put next to the field."""
    try:
        start = parse_hhmm(row.start)
    except ValueError:
        errors[f"{key}-start"] = "Enter a start time, like 09:00."
        return None
    try:
        end = parse_hhmm(row.end)
    except ValueError:
        errors[f"{key}-end"] = "Enter an end time, like 17:00."
        return None
    end = MINUTES_PER_DAY if end == 0 else end
    if end <= start:
        errors[f"{key}-end"] = f"This range ends ({row.end}) before it starts ({row.start}). Use a later end time."
        return None
    return start, end


def _overlaps(spans: list[tuple[str, int, int]], errors: dict[str, str], where: str) -> None:
    """Tell each range that overlaps an earlier one of the same day which one it overlaps."""
    ordered = sorted(spans, key=lambda s: (s[1], s[2]))
    latest: tuple[int, int] | None = None  # the earlier range reaching furthest so far
    for key, start, end in ordered:
        if latest is not None and start < latest[1]:
            errors.setdefault(
                f"{key}-start",
                f"This range overlaps {format_hhmm(latest[0])}–{format_hhmm(latest[1])} {where}. "
                "Change or remove one of them.",
            )
        if latest is None or end > latest[1]:
            latest = (start, end)


def _is_blank(row: Row) -> bool:
    return not row.start and not row.end and not (isinstance(row, OverrideRow) and (row.day or row.off))


def document_parts(rows: Rows) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, str]]:
    """The rows as the document's ``weekly`` and ``overrides``, and the errors by field (empty if none).
    Rows left entirely empty are ignored."""
    errors: dict[str, str] = {}
    weekly: list[dict[str, Any]] = []
    for d, day_rows in rows.weekly.items():
        spans = []
        for n, row in enumerate(day_rows):
            if _is_blank(row):
                continue
            if (minutes := _minutes(row, f"w{d}-{n}", errors)) is not None:
                spans.append((f"w{d}-{n}", *minutes))
                weekly.append({"weekday": d, "start": format_hhmm(minutes[0]), "end": format_hhmm(minutes[1])})
        _overlaps(spans, errors, f"on {WEEKDAYS[d]}")
    by_day: dict[date, list[tuple[str, int, int]]] = {}
    off: dict[date, str] = {}
    for n, row in enumerate(rows.overrides):
        if _is_blank(row):
            continue
        day = parse_day(row.day)
        if day is None:
            errors[f"o{n}-date"] = "Pick the date this override is for."
            continue
        by_day.setdefault(day, [])
        if row.off:
            off[day] = f"o{n}"
        elif (minutes := _minutes(row, f"o{n}", errors)) is not None:
            by_day[day].append((f"o{n}", *minutes))
    overrides = []
    for day, spans in sorted(by_day.items()):
        if day in off and spans:
            errors[f"{off[day]}-off"] = f"{day:%B %-d, %Y} is marked as a day off and also has hours. Keep one."
        _overlaps(spans, errors, f"on {day:%B %-d, %Y}")
        intervals = [{"start": format_hhmm(s), "end": format_hhmm(e)} for _, s, e in sorted(spans, key=lambda x: x[1])]
        overrides.append({"date": day.isoformat(), "intervals": intervals})
    return weekly, overrides, errors
