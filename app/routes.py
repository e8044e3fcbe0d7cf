"""Which blueprints make up the app. Importing a domain's ``api`` module attaches its endpoints."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from app.accounts import api as _accounts_api  # noqa: F401 - attaches endpoints to api_bp
    from app.accounts.routes import bp as accounts_bp
    from app.api import meta as _meta  # noqa: F401
    from app.api.blueprint import api_bp
    from app.audit.routes import bp as audit_bp
    from app.auth import api as _auth_api  # noqa: F401
    from app.auth import mfa_routes as _mfa_routes  # noqa: F401 - attaches pages to the auth blueprint
    from app.auth.routes import bp as auth_bp
    from app.billing.views import api as _billing_api  # noqa: F401
    from app.billing.views.pages import bp as billing_bp
    from app.billing.views.webhooks import bp as stripe_webhook_bp
    from app.booking.views import api as _booking_api  # noqa: F401
    from app.booking.views import availability_pages as _availability  # noqa: F401 - attaches to the booking blueprint
    from app.booking.views.pages import bp as booking_bp
    from app.care_team import api as _care_team_api  # noqa: F401
    from app.care_team import fhir_api as _fhir_api  # noqa: F401
    from app.care_team import goal_pages as _goal_pages  # noqa: F401 - attaches pages to the care blueprint
    from app.care_team import minutes_routes as _minutes_routes  # noqa: F401 - attaches pages to the care blueprint
    from app.care_team import pages as _care_pages  # noqa: F401 - attaches pages to the care blueprint
    from app.care_team.routes import bp as care_bp
    from app.intake.routes import bp as intake_bp
    from app.notes.views import api as _notes_api  # noqa: F401
    from app.notes.views.pages import bp as notes_bp
    from app.notifications.views.pages import bp as notifications_bp
    from app.notifications.views.webhooks import bp as sms_bp
    from app.web.routes import bp as web_bp

    app.register_blueprint(api_bp)
    app.register_blueprint(web_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(intake_bp)
    app.register_blueprint(audit_bp)
    app.register_blueprint(booking_bp)
    app.register_blueprint(sms_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(care_bp)
    app.register_blueprint(notes_bp)
    app.register_blueprint(billing_bp)
    app.register_blueprint(stripe_webhook_bp)
