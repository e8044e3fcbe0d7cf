"""Which blueprints make up the app. Importing a domain's ``api`` module attaches its endpoints."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from app.accounts.views import api as _accounts_api  # noqa: F401 - attaches endpoints to api_bp
    from app.accounts.views import staff_pages as _staff_pages  # noqa: F401 - attaches pages to the accounts blueprint
    from app.accounts.views.pages import bp as accounts_bp
    from app.api import meta as _meta  # noqa: F401
    from app.api import reference as _reference_api  # noqa: F401
    from app.api.blueprint import api_bp
    from app.auth.views import api as _auth_api  # noqa: F401
    from app.auth.views import invite_pages as _invite_pages  # noqa: F401 - attaches pages to the auth blueprint
    from app.auth.views import mfa_pages as _mfa_pages  # noqa: F401 - attaches pages to the auth blueprint
    from app.auth.views import signup_pages as _signup_pages  # noqa: F401 - attaches /signup to the accounts blueprint
    from app.auth.views.pages import bp as auth_bp
    from app.billing.views import api as _billing_api  # noqa: F401
    from app.billing.views.pages import bp as billing_bp
    from app.billing.views.webhooks import bp as stripe_webhook_bp
    from app.booking.views import api as _booking_api  # noqa: F401
    from app.booking.views import availability_pages as _availability  # noqa: F401 - attaches to the booking blueprint
    from app.booking.views import offboarding_pages as _offboarding  # noqa: F401 - attaches to the booking blueprint
    from app.booking.views import schedule_pages as _schedule  # noqa: F401 - attaches to the booking blueprint
    from app.booking.views.pages import bp as booking_bp
    from app.care_team.views import api as _care_team_api  # noqa: F401
    from app.care_team.views import fhir_api as _fhir_api  # noqa: F401
    from app.care_team.views import goal_pages as _goal_pages  # noqa: F401 - attaches pages to the care blueprint
    from app.care_team.views import medication_pages as _medication_pages  # noqa: F401 - attaches to the care blueprint
    from app.care_team.views import minutes_pages as _minutes_pages  # noqa: F401 - attaches pages to the care blueprint
    from app.care_team.views import problem_pages as _problem_pages  # noqa: F401 - attaches pages to the care blueprint
    from app.care_team.views import task_pages as _task_pages  # noqa: F401 - attaches pages to the care blueprint
    from app.care_team.views.pages import bp as care_bp
    from app.intake.views.pages import bp as intake_bp
    from app.messaging.views import api as _messaging_api  # noqa: F401
    from app.messaging.views.pages import bp as messaging_bp
    from app.notes.views import api as _notes_api  # noqa: F401
    from app.notes.views.pages import bp as notes_bp
    from app.notifications.views import settings_pages as _settings_pages  # noqa: F401 - attaches pages to the notifications blueprint
    from app.notifications.views.pages import bp as notifications_bp
    from app.notifications.views.webhooks import bp as sms_bp
    from app.web.audit_pages import bp as audit_bp
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
    app.register_blueprint(messaging_bp)
    app.register_blueprint(billing_bp)
    app.register_blueprint(stripe_webhook_bp)
