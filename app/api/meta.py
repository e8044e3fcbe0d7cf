"""API routes about the API itself."""

from __future__ import annotations

from flask import current_app, jsonify
from flask.typing import ResponseReturnValue

from app import access
from app.api.blueprint import api_bp
from app.api.openapi import build_document


@api_bp.get("/openapi.json")
def openapi_document() -> ResponseReturnValue:
    return jsonify(build_document(current_app.config["PUBLIC_BASE_URL"]))


access.mark(openapi_document, access.PUBLIC)
