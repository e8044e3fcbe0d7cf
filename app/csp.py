"""The Content-Security-Policy every response carries (set by ``app.security``), and the one widening a
page may need: a form whose answer redirects to another origin (the video join)."""

from __future__ import annotations

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def allowing_form_action(origin: str | None) -> str:
    """The policy with ``origin`` added to ``form-action`` (browsers apply it to a form's redirects too)."""
    return CSP.replace("form-action 'self'", f"form-action 'self' {origin}") if origin else CSP
