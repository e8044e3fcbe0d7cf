"""Response hardening and request context: security headers, no-store for personal pages, CSRF on
API writes not authenticated by a valid bearer token, the client address for the audit trail."""

from __future__ import annotations

from flask import Flask, Response, abort, request
from flask_login import current_user

from app.api.blueprint import api_bp
from app.audit.service import current_ip
from app.auth.loaders import authenticated_by_bearer
from app.csp import CSP
from app.errors import Invalid
from app.extensions import client_ip, csrf

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def install(app: Flask) -> None:
    # Flask-WTF's own check is off for the API; ``_csrf_for_cookie_auth`` below decides instead.
    csrf.exempt(api_bp)

    @app.before_request
    def _remember_ip() -> None:
        current_ip.set(client_ip())

    @app.before_request
    def _refuse_nul_in_forms() -> None:
        # A NUL in a form field or query string is never legitimate and PostgreSQL cannot store it (nor
        # compare with it: a NUL in a path segment such as /visits/<room> would reach a query as text).
        if "\x00" in request.path:
            abort(404)
        for values in (request.args, request.form if request.mimetype != "application/json" else {}):
            bad = [key for key in values if "\x00" in key or any("\x00" in v for v in values.getlist(key))]
            if bad and request.blueprint == api_bp.name:  # the API's invalid input: 422 with fields
                raise Invalid({key.replace("\x00", "") or "query": "must not contain NUL characters" for key in bad})
            if bad:
                abort(400, description="The request contains a NUL character.")

    @app.before_request
    def _csrf_for_cookie_auth() -> None:
        # The API called with the session cookie (from our own pages) must carry the CSRF token. Exempt
        # is only a request whose user a valid bearer token names, which a foreign site cannot make a
        # browser send; any other Authorization header (junk, another scheme) changes nothing.
        if request.blueprint != api_bp.name or request.method not in UNSAFE_METHODS:
            return
        if current_user.is_authenticated and not authenticated_by_bearer():
            csrf.protect()

    @app.after_request
    def _headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "geolocation=(), payment=(), usb=()")
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
        if request.endpoint != "static" and (request.path.startswith("/api/") or _signed_in()):
            # Pages and API answers may carry patient data: never cache them anywhere.
            headers["Cache-Control"] = "no-store"
            headers["Pragma"] = "no-cache"
        return response


def _signed_in() -> bool:
    try:
        return bool(current_user.is_authenticated)
    except Exception:
        return False
