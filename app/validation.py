"""Field types shared by request models: e-mail, password, US state, IANA zone, phone number."""

from __future__ import annotations

import zoneinfo
from functools import lru_cache
from typing import Annotated

import phonenumbers
from pydantic import AfterValidator, BeforeValidator, EmailStr, Field, StringConstraints

from app.accounts.roles import US_STATES

PASSWORD_MIN = 12
# argon2 hashes any length, but an unbounded one is a cheap way to burn CPU.
PASSWORD_MAX = 256


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _timezone(value: str) -> str:
    if value not in _known_zones():
        raise ValueError("unknown time zone (use an IANA name such as America/New_York)")
    return value


def _state(value: str) -> str:
    code = value.strip().upper()
    if code not in US_STATES:
        raise ValueError("unknown US state code")
    return code


def _phone(value: str) -> str:
    try:
        parsed = phonenumbers.parse(value, "US")
    except phonenumbers.NumberParseException as exc:
        raise ValueError("not a phone number") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise ValueError("not a valid phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _not_common(value: str) -> str:
    from app.auth.common_passwords import is_common

    if is_common(value):
        raise ValueError("this password is too common or too easy to guess; a short sentence works well")
    return value


def _lower_email(value: str) -> str:
    return value.strip().lower() if isinstance(value, str) else value


Email = Annotated[EmailStr, BeforeValidator(_lower_email), Field(max_length=254)]
Password = Annotated[str, Field(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX), AfterValidator(_not_common)]
StateCode = Annotated[str, StringConstraints(strip_whitespace=True, max_length=8), AfterValidator(_state)]
TimeZoneName = Annotated[str, Field(max_length=64), AfterValidator(_timezone)]
PhoneNumber = Annotated[str, Field(max_length=32), AfterValidator(_phone)]
PersonName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


def format_phone(e164: str) -> str:
    """How a number is shown to people: national format for US numbers."""
    parsed = phonenumbers.parse(e164, "US")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
