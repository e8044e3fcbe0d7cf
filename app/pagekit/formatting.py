"""Template filters: instants shown in a person's own zone, always with the zone named."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask


def localtime(value: datetime | None, tz: str, fmt: str = "%a %b %-d, %Y %-I:%M %p %Z") -> str:
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(tz)).strftime(fmt)


def install(app: Flask) -> None:
    app.add_template_filter(localtime, "localtime")
