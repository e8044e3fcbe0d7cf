"""Form errors in plain words: the one place a page turns a pydantic error into what a person reads.

The JSON API keeps pydantic's messages in its ``fields`` (``app.validation.validation_fields``);
pages never show them. Each error becomes a short sentence that says what to do ("Enter your name.",
"Use at least 12 characters."), keyed by the form field's name (the template's input ``id``), one per
field, in the form's order so the summary at the top reads in the order of the fields below it.

A field type's own check (a phone number, a time zone, a US state) may raise ``validation.Problem``
with a ``plain`` sentence for people; any other ``ValueError`` message is shown as a sentence.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from app.validation import Problem

FORM = "form"  # the key for an error about the form as a whole (a model-level check)


def _sentence(text: str) -> str:
    text = text.strip().removeprefix("Value error, ").removeprefix("Assertion failed, ").strip()
    if not text:
        return "Check this entry."
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."


def _number(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def plain_message(err: ErrorDetails, missing: str | None = None) -> str:
    """What a person reads for one pydantic error; ``missing`` is the field's sentence for when it was
    left empty ("Enter your name.")."""
    kind, ctx = err["type"], err.get("ctx") or {}
    if kind == "missing" or (kind == "string_too_short" and ctx.get("min_length") == 1):
        return missing or "Fill in this field."
    if kind == "string_too_short":
        return f"Use at least {_number(ctx.get('min_length'))} characters."
    if kind == "string_too_long":
        return f"Use at most {_number(ctx.get('max_length'))} characters."
    if kind == "too_short":
        return f"Choose at least {_number(ctx.get('min_length'))}."
    if kind == "too_long":
        return f"Choose at most {_number(ctx.get('max_length'))}."
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "Enter a whole number."
    if kind in ("float_parsing", "float_type", "decimal_parsing", "decimal_type"):
        return "Enter a number."
    if kind == "greater_than_equal":
        return f"Enter {_number(ctx.get('ge'))} or more."
    if kind == "greater_than":
        return f"Enter more than {_number(ctx.get('gt'))}."
    if kind == "less_than_equal":
        return f"Enter {_number(ctx.get('le'))} or less."
    if kind == "less_than":
        return f"Enter less than {_number(ctx.get('lt'))}."
    if kind.startswith("date_") or kind == "date_type":
        return "Enter a date, for example 2027-03-15."
    if kind.startswith("datetime_") or kind.startswith("timezone_"):
        return "Enter a date and a time."
    if kind.startswith("time_"):
        return "Enter a time, for example 09:30."
    if kind in ("literal_error", "enum"):
        return "Choose one of the options."
    if kind.startswith("bool_"):
        return "Choose yes or no."
    if kind == "value_error":
        error = ctx.get("error")
        if isinstance(error, Problem) and error.plain:
            return error.plain
        if "email address" in err["msg"]:
            return "Enter an e-mail address like name@example.com."
        return _sentence(str(error) if error is not None else err["msg"])
    return "Check this entry."


def plain_errors(
    exc: ValidationError,
    order: Sequence[str] = (),
    *,
    missing: Mapping[str, str] | None = None,
    messages: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """``{form field: plain sentence}``, the first error per field, in the form's ``order`` (fields not
    named there follow in the model's order). ``missing`` gives a field's sentence for when it was left
    empty ("Enter your name."); ``messages`` replace the sentence for a field outright (a page that
    knows better: "Enter the dose, for example 50 mg.")."""
    missing, messages = missing or {}, messages or {}
    found: dict[str, str] = {}
    for err in exc.errors():
        field = str(err["loc"][0]) if err["loc"] else FORM
        if field not in found:
            found[field] = messages.get(field) or plain_message(err, missing.get(field))
    return in_order(found, order)


def in_order(errors: Mapping[str, str], order: Sequence[str]) -> dict[str, str]:
    """The errors in the form's order (fields not in ``order`` after, as they came)."""
    rank = {name: i for i, name in enumerate(order)}
    return dict(sorted(errors.items(), key=lambda item: rank.get(item[0], len(rank))))
