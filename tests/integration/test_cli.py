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


def test_demo_seed_prints_every_demo_account_with_name_role_and_team(app):
    """Issue 17: every account the demo makes is printed with the person's name and role, and each
    patient with the prescriber and therapist of their care team (as the visits made it)."""
    output = app.test_cli_runner().invoke(args=["demo", "seed"]).output
    lines = {line.split()[0]: line for line in output.splitlines() if "@demo-clinic.example.com" in line}
    users = db.session.scalars(db.select(User)).all()
    assert users and {u.email for u in users} == set(lines)
    for user in users:
        assert user.name in lines[user.email], user.email
    alex = lines[email_for("patient")]
    assert "Dr. Maya Chen (prescriber)" in alex and "Marcus Green, LMHC (therapist)" in alex
    assert "patients: Alex Rivera" in lines[email_for("lmhc")]


def test_the_readme_lists_the_demo_logins_the_seed_prints():
    """The README's table is the printed list, row for row (regenerate it from `demo_logins()`)."""
    from pathlib import Path

    from app.demo.seed import demo_logins

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    table = readme.split("<!-- demo-logins: begin -->")[1].split("<!-- demo-logins: end -->")[0]
    rows = [line for line in table.strip().splitlines()[2:]]
    expected = [f"| `{x.email}` | {x.name} | {x.role} | {x.works_with} |" for x in demo_logins()]
    assert rows == expected
