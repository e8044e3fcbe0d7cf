"""Application factory. ``create_app`` wires settings, extensions and blueprints; it runs no query."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from app.settings import DEV_AUDIT_KEY, DEV_SECRET_KEY, Settings

MAX_BODY_BYTES = 1024 * 1024
MAX_ID = 2**31 - 1  # ids are 32-bit integer columns on PostgreSQL


class DatabaseInt(IntegerConverter):
    """``<int:...>`` in every route matches only ids a column can hold: a larger number is "not
    found" (404), not a database overflow (500)."""

    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app from the environment plus ``config`` (setting names or extra Flask config keys)."""
    settings = Settings.load(config)
    settings.check_deployable()

    app = Flask(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    _configure(app, settings, config or {})

    from app import extensions, models, security, web_errors  # noqa: F401 - models: the whole schema
    from app.accounts.user import User
    from app.auth.loaders import install_loaders
    from app.billing import providers as billing_providers
    from app.booking import recommended as booking_recommended
    from app.booking import texts as booking_texts
    from app.care_team import on_booking
    from app.cli import register_cli
    from app.intake import for_chart as intake_for_chart
    from app.intake import service as intake
    from app.messaging import for_care_team as messaging_for_care_team
    from app.messaging import texts as messaging_texts
    from app.notes import on_booking as notes_on_booking
    from app.pagekit import formatting
    from app.routes import register_blueprints
    from app.sms import sender

    extensions.db.init_app(app)
    extensions.migrate.init_app(
        app, extensions.db, directory=_migrations_dir(), render_as_batch=True, compare_type=True
    )
    extensions.login_manager.init_app(app)
    extensions.csrf.init_app(app)
    extensions.limiter.init_app(app)
    _tune_engine(app)
    install_loaders(app)
    billing_providers.install()
    app.url_map.converters["int"] = DatabaseInt  # before any route is added
    register_blueprints(app)
    on_booking.connect()  # the care team acts on booking's events (app.booking.events), in its transactions
    # The outbox's sender knows no domain: it finds a text's patient and re-checks a visit's texts through these.
    sender.install(find_recipient=lambda patient_id: extensions.db.session.get(User, patient_id))
    booking_texts.connect()
    intake_for_chart.connect()  # the chart header reads the intake result through care_team.intake_port
    booking_recommended.install(intake.recommended_visit_types)  # the intake's advice, asked by booking's pages
    notes_on_booking.connect()  # the notes domain tells booking's pages which visits have a note
    messaging_for_care_team.connect()  # the caseload's unread counts and the FHIR export read messages (messages_port)
    messaging_texts.connect()  # the sender drops a message's text once the patient has read the message
    security.install(app)
    web_errors.install(app)
    formatting.install(app)
    register_cli(app)
    if settings.PUBLIC_BASE_URL.startswith("https://"):
        # Behind a TLS-terminating proxy: trust one hop for scheme, host and client address.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
    if not app.debug and not app.testing:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return app


def _migrations_dir() -> str:
    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "migrations")


def _configure(app: Flask, settings: Settings, config: Mapping[str, Any]) -> None:
    app.config.update(settings.model_dump())
    app.config.update(
        SETTINGS=settings,
        TESTING=settings.TESTING,
        SECRET_KEY=settings.SECRET_KEY or DEV_SECRET_KEY,
        AUDIT_KEY=settings.AUDIT_KEY or DEV_AUDIT_KEY,
        SQLALCHEMY_DATABASE_URI=settings.database_url(app.instance_path),
        SESSION_COOKIE_NAME="clinic_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.PUBLIC_BASE_URL.startswith("https://"),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.SESSION_ABSOLUTE_HOURS),
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the (server-checked) session
        RATELIMIT_STORAGE_URI=settings.REDIS_URL or "memory://",
        RATELIMIT_HEADERS_ENABLED=True,
        REMEMBER_COOKIE_DURATION=timedelta(seconds=0),
    )
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 30}}
    else:
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {}  # connections.py pings a connection after idle
    # Anything that is not a setting is plain Flask config (tests use this, e.g. RATELIMIT_ENABLED).
    app.config.update({k: v for k, v in config.items() if k not in Settings.model_fields})


def _tune_engine(app: Flask) -> None:
    from app import connections
    from app.extensions import db
    from app.sqlite import configure_sqlite

    with app.app_context():
        engine = db.engine  # creating the engine opens no connection
        if engine.dialect.name == "sqlite":
            configure_sqlite(engine)
        connections.install(engine)
