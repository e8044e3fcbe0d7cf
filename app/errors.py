"""Domain errors: raised by services, turned into JSON by the API and into messages by pages."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400
    code = "bad_request"
    message = "The request could not be processed."
    # Where a person in the browser is sent instead of an error page (the endpoint, with ?next= this
    # page); None shows the error page. The JSON API never uses it.
    page_endpoint: str | None = None

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


class MfaRequired(Unauthorized):
    """Signed in with a password but owing the second factor: the browser goes on to the code page, or
    to setting up two-factor sign-in first when ``enrolled`` is false."""

    code = "mfa_required"
    message = "Enter the code from your authenticator app to continue."

    def __init__(self, message: str | None = None, *, enrolled: bool = True) -> None:
        super().__init__(message)
        self.page_endpoint = "auth.mfa_verify" if enrolled else "auth.mfa_setup"


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
