"""Build the OpenAPI 3.1 document from the endpoint registry and the pydantic models."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, TypeAdapter

from app import access
from app.api.endpoint import REGISTRY, EndpointSpec

REF = "#/components/schemas/{model}"

STATUS_TEXT = {
    200: "OK", 201: "Created", 204: "No content", 400: "Malformed request", 401: "Not signed in",
    402: "Membership required", 403: "Forbidden for this role", 404: "Not found or not yours to know",
    409: "Conflict", 422: "Invalid input", 429: "Rate limited",
}  # fmt: skip


class ErrorOut(BaseModel):
    """Every error answer: a stable machine code, a human message, and for 422 the field reasons."""

    error: str
    message: str
    fields: dict[str, str] | None = None


def _schema(tp: Any, mode: str, components: dict[str, Any]) -> dict[str, Any]:
    schema = TypeAdapter(tp).json_schema(ref_template=REF, mode=mode)  # type: ignore[arg-type]
    for name, definition in schema.pop("$defs", {}).items():
        components.setdefault(name, definition)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        components.setdefault(tp.__name__, schema)
        return {"$ref": REF.format(model=tp.__name__)}
    return schema


def _path_params(path: str) -> tuple[str, list[dict[str, Any]]]:
    params = []
    for conv, name in re.findall(r"<(?:(\w+):)?(\w+)>", path):
        kind = {"int": "integer"}.get(conv, "string")
        params.append({"name": name, "in": "path", "required": True, "schema": {"type": kind}})
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", path), params


def _operation(spec: EndpointSpec, components: dict[str, Any]) -> dict[str, Any]:
    op: dict[str, Any] = {"operationId": spec.endpoint.replace(".", "_"), "summary": spec.summary}
    if spec.tags:
        op["tags"] = list(spec.tags)
    _, params = _path_params(spec.path)
    if spec.query is not None:
        for name, fld in spec.query.model_fields.items():
            schema = _schema(fld.annotation, "validation", components)
            params.append({"name": fld.alias or name, "in": "query", "required": fld.is_required(), "schema": schema})
    if params:
        op["parameters"] = params
    if spec.body is not None:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _schema(spec.body, "validation", components)}},
        }
    responses: dict[str, Any] = {}
    if spec.status == 204 or spec.response is None:
        responses[str(spec.status)] = {"description": STATUS_TEXT.get(spec.status, "OK")}
    else:
        schema = _schema(spec.response, "serialization", components)
        responses[str(spec.status)] = {
            "description": STATUS_TEXT.get(spec.status, "OK"),
            "content": {"application/json": {"schema": schema}},
        }
    error_codes = set(spec.errors)
    if spec.body is not None or spec.query is not None:
        error_codes |= {400, 422}
    if spec.access != access.PUBLIC:
        error_codes.add(401)
        op["security"] = [{"bearerAuth": []}]
    else:
        op["security"] = []
    if isinstance(spec.access, frozenset):
        error_codes.add(403)
    error_ref = _schema(ErrorOut, "serialization", components)
    for code in sorted(error_codes):
        responses[str(code)] = {
            "description": STATUS_TEXT.get(code, "Error"),
            "content": {"application/json": {"schema": error_ref}},
        }
    op["responses"] = responses
    return op


def build_document(server_url: str) -> dict[str, Any]:
    components: dict[str, Any] = {}
    paths: dict[str, Any] = {}
    for spec in sorted(REGISTRY, key=lambda s: s.path):
        path, _ = _path_params(spec.path)
        for method in spec.methods:
            paths.setdefault(path, {})[method.lower()] = _operation(spec, components)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Clinic API",
            "version": "1",
            "description": "Telehealth booking and collaborative care. Errors are "
            '`{"error": code, "message": text}`; 422 adds `fields`.',
        },
        "servers": [{"url": server_url}],
        "paths": paths,
        "components": {
            "schemas": dict(sorted(components.items())),
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
    }
