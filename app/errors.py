"""Domain errors: raised by services, turned into JSON by the API and into messages by pages."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400
    code = "bad_request"
    message = "The request could not be processed."

    def __init__(self, message: str | None = None, **extra: Any) -> None:
        super().__init__(message or self.message)
        self.message = message or self.message
        self.extra = extra


class Invalid(DomainError):
    status = 422
    code = "invalid"
    message = "Some fields are not valid."

    def __init__(self, fields: dict[str, str], message: str | None = None) -> None:
        super().__init__(message, fields=fields)
        self.fields = fields


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"
    message = "Sign in first."


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
    message = "Your role may not do this."


class NotFound(DomainError):
    status = 404
    code = "not_found"
    message = "Not found."


class Conflict(DomainError):
    status = 409
    code = "conflict"
    message = "That conflicts with the current state."
