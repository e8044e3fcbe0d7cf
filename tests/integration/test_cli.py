"""CLI: `users create`, `demo seed` (idempotent), `db upgrade` is Flask-Migrate's."""

from __future__ import annotations

from app.accounts.service import find_by_email
from app.accounts.user import User
from app.auth.service import authenticate
from app.demo.seed import CLINICIANS, DEMO_PASSWORD, email_for
from app.extensions import db


def test_users_create(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--role",
            "admin",
            "--email",
            "Ops@Example.com",
            "--password",
            "a long admin password",
            "--name",
            "Ops",
        ]
    )
    assert result.exit_code == 0, result.output
    assert authenticate("ops@example.com", "a long admin password").role == "admin"
    again = runner.invoke(
        args=[
            "users",
            "create",
            "--role",
            "admin",
            "--email",
            "ops@example.com",
            "--password",
            "a long admin password",
            "--name",
            "Ops",
        ]
    )
    assert again.exit_code == 1 and "already exists" in again.output


def test_users_create_rejects_a_short_password(app):
    result = app.test_cli_runner().invoke(
        args=[
            "users",
            "create",
            "--role",
            "billing_admin",
            "--email",
            "b@example.com",
            "--password",
            "short",
            "--name",
            "B",
        ]
    )
    assert result.exit_code == 2 and "password" in result.output


def test_demo_seed_is_idempotent_and_covers_every_credential(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "seed"])
    assert first.exit_code == 0 and "created" in first.output and DEMO_PASSWORD in first.output
    count = db.session.scalar(db.select(db.func.count()).select_from(User))
    second = runner.invoke(args=["demo", "seed"])
    assert second.exit_code == 0 and "already present" in second.output
    assert db.session.scalar(db.select(db.func.count()).select_from(User)) == count
    credentials = {find_by_email(email_for(c[0])).clinician.credential for c in CLINICIANS}
    assert credentials == {"MD", "DO", "PMHNP", "PhD", "PsyD", "LCSW", "LMHC", "LMFT"}
    for label in ("patient", "psychiatrist (MD)", "(PMHNP)", "(PsyD)", "(LCSW)", "billing admin", "admin"):
        assert label in first.output
