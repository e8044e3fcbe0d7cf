"""Sign-up's throttle: ``409 email_taken`` answers counted per address asked for and per IP, so sign-up
cannot be used to list accounts in bulk (``LOGIN_FAILURE_LIMIT``, in the shared store of ``app.throttle``)."""

from __future__ import annotations

from app.extensions import client_ip
from app.throttle.guard import View, guard, hashed, posted_email


def signup_throttled(view: View) -> View:
    """Sign-up (page and API): ``409 email_taken`` answers per address and per IP."""

    def keys() -> tuple[str, str]:
        return "signup-email:" + hashed(posted_email()), "signup-ip:" + client_ip()

    return guard(keys, lambda status, code: status == 409)(view)
