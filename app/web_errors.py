"""Errors as JSON for the API and as friendly pages for people. Never a traceback, never a 500 for
bad input."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from app.errors import DomainError

log = logging.getLogger(__name__)

HTTP_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
    429: "rate_limited", 500: "server_error", 503: "unavailable",
}  # fmt: skip
MESSAGES = {
    404: "We could not find that page.",
    405: "That action is not available here.",
    413: "The request is too large.",
    429: "Too many attempts. Please wait a few minutes and try again.",
    500: "Something went wrong on our side. Nothing you entered was lost; please try again.",
    503: "We lost our connection to the database for a moment. Nothing was saved; please try again.",
}


def wants_json() -> bool:
    return request.path.startswith(("/api/", "/billing/stripe/", "/sms/"))


def _json(status: int, code: str, message: str, **extra: Any) -> Response:
    body = {"error": code, "message": message, **extra}
    response = jsonify(body)
    response.status_code = status
    return response


def _page(status: int, message: str) -> tuple[str, int]:
    template = f"errors/{status}.html" if status in (403, 404, 500) else "errors/generic.html"
    return render_template(template, status=status, message=message), status


def install(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(exc: DomainError) -> ResponseReturnValue:
        if wants_json():
            return _json(exc.status, exc.code, exc.message, **exc.extra)
        if exc.page_endpoint is not None:  # e.g. the second factor still owed: on to its page
            return redirect(url_for(exc.page_endpoint, next=request.full_path.rstrip("?")))
        if exc.status == 401:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return _page(exc.status, exc.message)

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError) -> ResponseReturnValue:
        message = "Your form expired or was sent from elsewhere. Please reload the page and try again."
        if wants_json():
            return _json(400, "csrf_failed", message)
        return _page(400, message)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> ResponseReturnValue:
        status = exc.code or 500
        message = MESSAGES.get(status) or exc.description or "Request failed."
        if wants_json():
            response = _json(status, HTTP_CODES.get(status, "error"), message)
        else:
            body, _ = _page(status, message)
            response = Response(body, status=status, mimetype="text/html")
        if status == 429 and exc.get_response().headers.get("Retry-After"):
            response.headers["Retry-After"] = exc.get_response().headers["Retry-After"]
        if status == 405:
            allowed = exc.get_response().headers.get("Allow")
            if allowed:
                response.headers["Allow"] = allowed
        return response

    @app.errorhandler(OperationalError)
    def _database(exc: OperationalError) -> ResponseReturnValue:
        if not exc.connection_invalidated:  # not a lost connection: a real failure
            return _unexpected(exc)
        # The database restarted or failed over under this request; the pool has already started
        # afresh, so trying again works.
        log.warning("database connection lost on %s %s", request.method, request.path)
        if wants_json():
            response = _json(503, HTTP_CODES[503], MESSAGES[503])
        else:
            body, _ = _page(503, MESSAGES[503])
            response = Response(body, status=503, mimetype="text/html")
        response.headers["Retry-After"] = "1"
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> ResponseReturnValue:
        log.exception("unhandled error on %s %s", request.method, request.path)
        if wants_json():
            return _json(500, "server_error", MESSAGES[500])
        return _page(500, MESSAGES[500])
