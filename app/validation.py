"""Field types shared by request models (e-mail, password, US state, IANA zone, phone number) and the
bounded types every route reads its numbers, ids and dates with.

The bounds are where a value stops being a sane input and starts to break what is built on it: a date
near year 1 or 9999 overflows as soon as a week, a zone offset or a visit's length is added to it; an
integer beyond 32 bits overflows an id column on PostgreSQL (and beyond 64 bits any SQLite integer).
So the API's JSON models use ``Day``, ``Instant`` and ``DbId`` (422 with ``fields`` when out of
range), and pages and query strings use ``parse_day``, ``parse_instant``, ``parse_db_id`` and
``parse_int`` (``None`` when the text is not such a value; the caller decides between falling back,
a form error, a 422 or a 404). Integers in JSON bodies are JSON numbers only (``StrictInt``): the
string ``"2"`` is not the answer 2.
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Annotated

import phonenumbers
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    EmailStr,
    Field,
    Strict,
    StringConstraints,
    ValidationError,
)

from app.reference.common_passwords import is_common
from app.reference.roles import US_STATES

PASSWORD_MIN = 12
# argon2 hashes any length, but an unbounded one is a cheap way to burn CPU.
PASSWORD_MAX = 256


class Problem(ValueError):
    """A field type's check failed: ``str()`` is the API's message (``fields``), ``plain`` what a page
    shows next to the field (``app.pagekit.forms``)."""

    def __init__(self, message: str, plain: str) -> None:
        super().__init__(message)
        self.plain = plain


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _timezone(value: str) -> str:
    if value not in _known_zones():
        raise Problem(
            "unknown time zone (use an IANA name such as America/New_York)", "Choose your time zone from the list."
        )
    return value


def _state(value: str) -> str:
    code = value.strip().upper()
    if code not in US_STATES:
        raise Problem("unknown US state code", "Choose a US state from the list.")
    return code


def _phone(value: str) -> str:
    try:
        parsed = phonenumbers.parse(value, "US")
    except phonenumbers.NumberParseException as exc:
        raise Problem("not a phone number", "Enter a US mobile number, for example (212) 555-0142.") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise Problem("not a valid phone number", "Enter a US mobile number, for example (212) 555-0142.")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _not_common(value: str) -> str:
    if is_common(value):
        raise Problem(
            "this password is too common or too easy to guess; a short sentence works well",
            "This password is too common or too easy to guess. A short sentence works well.",
        )
    return value


def _lower_email(value: str) -> str:
    return value.strip().lower() if isinstance(value, str) else value


Email = Annotated[EmailStr, BeforeValidator(_lower_email), Field(max_length=254)]
Password = Annotated[str, Field(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX), AfterValidator(_not_common)]
StateCode = Annotated[str, StringConstraints(strip_whitespace=True, max_length=8), AfterValidator(_state)]
TimeZoneName = Annotated[str, Field(max_length=64), AfterValidator(_timezone)]
PhoneNumber = Annotated[str, Field(max_length=32), AfterValidator(_phone)]
PersonName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


# --- bounded numbers, ids and dates ---------------------------------------------------------------------

MIN_YEAR, MAX_YEAR = 1900, 2999  # wide for any visit, filter or record, far from datetime's own ends
MIN_DAY, MAX_DAY = date(MIN_YEAR, 1, 1), date(MAX_YEAR, 12, 31)
MAX_DB_ID = 2**31 - 1  # ids are 32-bit integer columns on PostgreSQL
_ASCII_INT = re.compile(r"-?[0-9]{1,18}")  # str.isdigit() also accepts "²" and "١", and int() a 5000-digit string


def _day_in_range(value: date) -> date:
    if not MIN_DAY <= value <= MAX_DAY:
        raise Problem(
            f"must be a date from {MIN_DAY.isoformat()} to {MAX_DAY.isoformat()}",
            f"Enter a date between {MIN_YEAR} and {MAX_YEAR}.",
        )
    return value


def _instant_in_range(value: datetime) -> datetime:
    # The wall time's year is checked, not the instant's: converting to UTC first could itself overflow.
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValueError(f"must be a time in the years {MIN_YEAR} to {MAX_YEAR}")
    return value


def _written_date(value: object) -> object:
    # JSON has no date type: a date is the text YYYY-MM-DD. Pydantic's lax mode would also read a number
    # as seconds since 1970 (1e9 -> 2001-09-09), which no client means as a date of birth or a day.
    if isinstance(value, int | float):
        raise Problem("must be a date written as YYYY-MM-DD", "Enter a date, for example 2027-03-15.")
    return value


def _written_instant(value: object) -> object:
    if isinstance(value, int | float):
        raise Problem("must be a date and time written in ISO 8601 with an offset", "Enter a date and a time.")
    return value


Day = Annotated[date, BeforeValidator(_written_date), AfterValidator(_day_in_range)]


def _born_by_today(value: date) -> date:
    # UTC's today is the latest calendar date anywhere in the US: nobody here is born "tomorrow" by it.
    if value > datetime.now(UTC).date():
        raise Problem("a date of birth cannot be in the future", "A date of birth cannot be in the future.")
    return value


BirthDate = Annotated[
    date, BeforeValidator(_written_date), AfterValidator(_day_in_range), AfterValidator(_born_by_today)
]
Instant = Annotated[AwareDatetime, BeforeValidator(_written_instant), AfterValidator(_instant_in_range)]
DbId = Annotated[int, Strict(), Field(ge=1, le=MAX_DB_ID)]


def parse_int(raw: object, lo: int, hi: int) -> int | None:
    """An integer written in ASCII digits within ``lo..hi``, else None."""
    if not isinstance(raw, str) or not _ASCII_INT.fullmatch(raw.strip()):
        return None
    value = int(raw.strip())
    return value if lo <= value <= hi else None


def parse_db_id(raw: object) -> int | None:
    """A database id (1 .. 2**31-1) from a query string or form, else None."""
    return parse_int(raw, 1, MAX_DB_ID)


def parse_day(raw: object) -> date | None:
    """A ``YYYY-MM-DD`` date within the sane range, else None."""
    if not isinstance(raw, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", raw.strip()):
        return None
    try:
        return _day_in_range(date.fromisoformat(raw.strip()))
    except ValueError:
        return None


def parse_instant(raw: object) -> datetime | None:
    """An ISO 8601 date-time with an offset, within the sane range, else None."""
    if not isinstance(raw, str) or not raw.isascii() or len(raw) > 64:
        return None
    try:
        value = datetime.fromisoformat(raw.strip())
        return _instant_in_range(value) if value.utcoffset() is not None else None
    except ValueError:
        return None


def format_phone(e164: str) -> str:
    """How a number is shown to people: national format for US numbers."""
    parsed = phonenumbers.parse(e164, "US")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)


def validation_fields(exc: ValidationError) -> dict[str, str]:
    """A pydantic error as ``{field: message}``, the first message per field (API ``fields`` and page forms)."""
    fields: dict[str, str] = {}
    for err in exc.errors():
        name = ".".join(str(p) for p in err["loc"]) or "body"
        fields.setdefault(name, err["msg"].removeprefix("Value error, "))
    return fields
