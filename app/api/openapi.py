"""Build the OpenAPI 3.1 document from the endpoint registry and the pydantic models."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

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
    defs = schema.pop("$defs", {})
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        defs[tp.__name__], schema = schema, {"$ref": REF.format(model=tp.__name__)}
    renames = _names_for(defs, components)
    for name, definition in defs.items():
        components.setdefault(renames.get(name, name), _renamed(definition, renames))
    return _renamed(schema, renames)


def _names_for(defs: dict[str, Any], components: dict[str, Any]) -> dict[str, str]:
    """Two models of one name (a billing ``PlanOut`` and a care-plan ``PlanOut``) must not share a
    component: the second gets ``PlanOut2``. Same definition, same component."""
    renames: dict[str, str] = {}
    changed = True
    while changed:
        changed = False
        for name, definition in defs.items():
            target, wanted = renames.get(name, name), _renamed(definition, renames)
            n = 1
            while target in components and components[target] != wanted:
                n += 1
                target = f"{name}{n}"
            if target != renames.get(name, name):
                renames[name], changed = target, True
    return {k: v for k, v in renames.items() if k != v}


def _renamed(schema: Any, renames: dict[str, str]) -> Any:
    if not renames:
        return schema
    text = json.dumps(schema)
    for old, new in renames.items():
        text = text.replace(json.dumps(REF.format(model=old)), json.dumps(REF.format(model=new)))
    return json.loads(text)


def _path_params(path: str) -> tuple[str, list[dict[str, Any]]]:
    params = []
    for conv, name in re.findall(r"<(?:(\w+):)?(\w+)>", path):
        # ``<int:...>`` matches 0 .. 2**31 - 1 (app.DatabaseInt); anything else is a 404.
        schema = {"type": "integer", "minimum": 0, "maximum": 2**31 - 1} if conv == "int" else {"type": "string"}
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", path), params


def _operation(spec: EndpointSpec, components: dict[str, Any]) -> dict[str, Any]:
    op: dict[str, Any] = {"operationId": spec.endpoint.replace(".", "_"), "summary": spec.summary}
    if spec.tags:
        op["tags"] = list(spec.tags)
    _, params = _path_params(spec.path)
    if spec.query is not None:
        for name, fld in spec.query.model_fields.items():
            # The field's constraints (a minimum length, a range) are in its metadata, not its annotation.
            schema = _schema(Annotated[(fld.annotation, *fld.metadata)] if fld.metadata else fld.annotation,
                             "validation", components)  # fmt: skip
            param = {"name": fld.alias or name, "in": "query", "required": fld.is_required(), "schema": schema}
            params.append(param | ({"description": fld.description} if fld.description else {}))
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
