"""The typed endpoint decorator: access rule, request parsing, response serialisation, OpenAPI entry.

A view declares its body/query models and its response type; the decorator validates the input with
pydantic (422 with ``fields``), calls the view with plain arguments and serialises what it returns.
The same declarations build ``/api/v1/openapi.json``, so the document cannot drift from the code.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from flask import Blueprint, Response, request
from pydantic import BaseModel, TypeAdapter, ValidationError

from app import access, connections
from app.errors import DomainError, Invalid
from app.validation import validation_fields


class MalformedJson(DomainError):
    status = 400
    code = "malformed_json"
    message = "The request body is not valid JSON."


@dataclass(frozen=True)
class EndpointSpec:
    path: str
    methods: tuple[str, ...]
    endpoint: str
    summary: str
    access: access.Access
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: Any
    status: int
    errors: tuple[int, ...]
    tags: tuple[str, ...] = field(default_factory=tuple)


REGISTRY: list[EndpointSpec] = []


def _json_body() -> Any:
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:  # RecursionError: absurdly deep nesting
        raise MalformedJson() from exc


def _nul_path(value: Any, path: str = "") -> str | None:
    """Where a NUL character hides in the JSON, if anywhere: PostgreSQL text cannot store one."""
    if isinstance(value, str):
        return path or "body" if "\x00" in value else None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        if isinstance(key, str) and "\x00" in key:
            return path or "body"
        found = _nul_path(item, f"{path}.{key}" if path else str(key))
        if found:
            return found
    return None


def parse(model: type[BaseModel], data: Any) -> BaseModel:
    if not isinstance(data, dict):
        raise Invalid({"body": "must be a JSON object"})
    if where := _nul_path(data):
        raise Invalid({where: "must not contain NUL characters"})
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        fields = validation_fields(exc)
        # A model may put its problems in plain words (``plain_words(fields) -> fields``, same keys).
        plain = getattr(model, "plain_words", None)
        raise Invalid(plain(fields) if callable(plain) else fields) from exc


@functools.cache
def _adapter(response_type: Any) -> TypeAdapter[Any]:
    # Built once per response type: for a list[...] building one costs ~0.15 ms, on every request.
    return TypeAdapter(response_type)


def render(result: Any, response_type: Any, status: int) -> Response:
    if isinstance(result, Response):
        return result
    if result is None:
        return Response(status=204 if status == 200 else status)
    if response_type:
        try:
            adapter = _adapter(response_type)
        except TypeError:  # an unhashable annotation: build it each time, as before
            adapter = TypeAdapter(response_type)
        payload = adapter.dump_python(result, mode="json")
    else:
        payload = result
    return Response(json.dumps(payload), status=status, mimetype="application/json")


def endpoint(
    bp: Blueprint,
    rule: str,
    *,
    methods: Sequence[str] = ("GET",),
    access_rule: access.Access,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    response: Any = None,
    status: int = 200,
    summary: str = "",
    errors: Sequence[int] = (),
    tags: Sequence[str] = (),
    read_only: bool = False,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``read_only``: the view never writes, so on PostgreSQL its statements may run outside a
    transaction (``app.connections``); a write then raises instead of committing piecemeal."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(fn)
        def view(**kwargs: Any) -> Response:
            if read_only:
                connections.begin_read_only()
            access.check(access_rule)
            if body is not None:
                kwargs["body"] = parse(body, _json_body())
            if query is not None:
                kwargs["query"] = parse(query, {k: v for k, v in request.args.items() if v != ""})
            return render(fn(**kwargs), response, status)

        access.mark(view, access_rule)
        bp.add_url_rule(rule, view_func=view, methods=list(methods))
        REGISTRY.append(
            EndpointSpec(
                path=(bp.url_prefix or "") + rule,
                methods=tuple(m.upper() for m in methods),
                endpoint=f"{bp.name}.{fn.__name__}",
                summary=summary or (fn.__doc__ or "").strip().split("\n")[0],
                access=access_rule,
                body=body,
                query=query,
                response=response,
                status=status,
                errors=tuple(errors),
                tags=tuple(tags),
            )
        )
        return view

    return decorate
