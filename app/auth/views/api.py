"""Token API for non-browser clients."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app

from app import access
from app.accounts.schemas import UserOut
from app.api.blueprint import api_bp
from app.api.endpoint import endpoint
from app.auth import mfa_service, service
from app.auth.schemas import TokenOut, TokenRequest
from app.auth.throttle import login_throttled
from app.errors import MfaRequired


@endpoint(api_bp, "/auth/token", methods=["POST"], access_rule=access.PUBLIC, body=TokenRequest,
          response=TokenOut, errors=[401, 403, 422, 429], tags=["auth"])  # fmt: skip
@login_throttled
def issue_token(body: TokenRequest) -> TokenOut:
    """Exchange e-mail and password for a bearer token."""
    user = service.authenticate(body.email, body.password)
    if user.must_use_mfa:
        if not user.mfa_enabled:
            raise mfa_service.MfaEnrollmentRequired()
        if not body.otp:
            raise MfaRequired()
        try:
            mfa_service.check_code(user, body.otp)
        except mfa_service.InvalidCode:
            # The contract answers a wrong or reused code like a missing one (still counted by the throttle).
            raise MfaRequired() from None
    hours = current_app.config["API_TOKEN_TTL_HOURS"]
    raw = service.issue_token(user, timedelta(hours=hours))
    return TokenOut(token=raw, expires_in=hours * 3600, user=UserOut(id=user.id, role=user.role))
