"""Extension objects, created unbound and initialised by ``create_app``."""

from __future__ import annotations

import ipaddress

from flask import request
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from app.db import Base


def client_ip() -> str:
    """The client's address as a canonical IP (at most 39 characters, so it fits every column).

    ProxyFix (enabled when PUBLIC_BASE_URL is https) has already put the proxy's ``X-Forwarded-For``
    hop in ``remote_addr``. That is text a client can influence: when it is not an IP address, the
    connection's own peer address is used instead; "unknown" when neither is one."""
    original = request.environ.get("werkzeug.proxy_fix.orig", {}).get("REMOTE_ADDR")
    for candidate in (request.remote_addr, original):
        address = _ip(candidate)
        if address is not None:
            return address
    return "unknown"


def _ip(raw: str | None) -> str | None:
    if not raw or len(raw) > 100:
        return None
    try:
        address = ipaddress.ip_address(raw.strip().strip("[]").split("%", 1)[0])  # no IPv6 zone id
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:192.0.2.1 is 192.0.2.1 (one throttle bucket, one audit value)
    return str(address)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=client_ip, headers_enabled=True)
