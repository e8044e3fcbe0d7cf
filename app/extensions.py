"""Extension objects, created unbound and initialised by ``create_app``."""

from __future__ import annotations

from flask import request
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from app.db import Base


def client_ip() -> str:
    # ProxyFix (enabled when PUBLIC_BASE_URL is https) has already rewritten remote_addr.
    return request.remote_addr or "unknown"


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=client_ip, headers_enabled=True)
