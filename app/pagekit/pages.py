"""The page decorator: an explicit access rule on every page, as on every API endpoint."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import wraps
from typing import Any

from flask import Blueprint

from app import access


def page(
    bp: Blueprint, rule: str, *, access_rule: access.Access, methods: Sequence[str] = ("GET",), **options: Any
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(fn)
        def view(**kwargs: Any) -> Any:
            access.check(access_rule)
            return fn(**kwargs)

        access.mark(view, access_rule)
        bp.add_url_rule(rule, view_func=view, methods=list(methods), **options)
        return view

    return decorate
