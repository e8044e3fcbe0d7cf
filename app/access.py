"""Who may call a route. Every view carries an explicit rule; a test walks the URL map to prove it.

``PUBLIC`` needs no login; ``ANY_USER`` any signed-in account; a set of roles exactly those roles.
Patient-data routes are ``ANY_USER`` (or a role set) here and the *service* decides, per patient,
between the data and a 404 — the route rule is the coarse gate, not the whole rule.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from flask import g
from flask_login import current_user

from app.errors import Forbidden, MfaRequired, Unauthorized
from app.reference.roles import Role

PUBLIC: Final = "public"
ANY_USER: Final = "any_user"
# Signed in with a password but still owing the second factor: only the MFA pages allow this.
MFA_STEP: Final = "mfa_step"

Access = str | frozenset[Role]


def roles(*allowed: Role) -> frozenset[Role]:
    return frozenset(allowed)


def check(rule: Access) -> None:
    """Raise ``Unauthorized`` or ``Forbidden`` unless the current user satisfies ``rule``."""
    if rule == PUBLIC:
        return
    if not current_user.is_authenticated:
        owing = g.get("mfa_owed_by")  # signed in with a password only (the session is hidden until the code)
        if owing is not None:
            raise MfaRequired(enrolled=owing.mfa_enabled)
        raise Unauthorized()
    if rule == MFA_STEP:
        return
    if getattr(current_user, "mfa_pending", False):
        raise MfaRequired(enrolled=current_user.mfa_enabled)
    if rule == ANY_USER:
        return
    assert isinstance(rule, frozenset)
    if current_user.role not in rule:
        raise Forbidden("Your role may not do this.", required_roles=sorted(r.value for r in rule))


def mark(view: Callable[..., Any], rule: Access) -> Callable[..., Any]:
    view.access_rule = rule  # type: ignore[attr-defined]
    return view
