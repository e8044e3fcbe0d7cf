"""Command line: ``users create``, ``demo seed``, ``scheduler run`` and ``serve`` (dev server + scheduler).

``db upgrade`` comes from Flask-Migrate.
"""

from __future__ import annotations

import logging

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from pydantic import ValidationError
from werkzeug.serving import run_simple

from app.accounts import service as accounts
from app.accounts.schemas import StaffCreate
from app.api.endpoint import validation_fields

users_cli = AppGroup("users", help="Manage accounts.")
demo_cli = AppGroup("demo", help="The demo clinic.")
scheduler_cli = AppGroup("scheduler", help="Periodic jobs (reminders, follow-ups, clean-up).")
audit_cli = AppGroup("audit", help="The audit trail's hash chain.")


@audit_cli.command("seal")
def audit_seal() -> None:
    """Chain the audit rows written since the last seal (the scheduler does this every minute)."""
    from app.audit.chain import seal

    total = 0
    while sealed := seal():
        total += sealed
    click.echo(f"sealed {total} audit rows")


@audit_cli.command("verify")
def audit_verify() -> None:
    """Walk the chain and report the first broken link (exit 1 when broken)."""
    from app.audit.chain import verify

    result = verify()
    if result.broken_at is not None:
        click.echo(
            f"BROKEN at chain_seq {result.broken_at}: {result.reason} ({result.checked} rows verified before it)"
        )
        raise SystemExit(1)
    click.echo(f"audit chain intact: {result.checked} rows verified, {result.unsealed} not sealed yet")


@users_cli.command("create")
@click.option("--role", type=click.Choice(["admin", "billing_admin"]), required=True)
@click.option("--email", required=True)
@click.option("--password", required=True)
@click.option("--name", required=True)
def create_user(role: str, email: str, password: str, name: str) -> None:
    """Create an admin or billing admin (clinicians are added by an admin, in the app or the API)."""
    try:
        data = StaffCreate(email=email, password=password, name=name, role=role)  # type: ignore[arg-type]
        user = accounts.create_staff(data, actor=None)
    except ValidationError as exc:
        for name_, reason in validation_fields(exc).items():
            click.echo(f"{name_}: {reason}", err=True)
        raise SystemExit(2) from exc
    except accounts.EmailTaken as exc:
        click.echo(exc.message, err=True)
        raise SystemExit(1) from exc
    click.echo(f"created {user.role} {user.email} (id {user.id})")


@demo_cli.command("seed")
def seed() -> None:
    """Seed the demo clinic if it is not there yet (safe to run again), then print the logins."""
    from app.demo.seed import DEMO_PASSWORD, seed_demo

    created, logins = seed_demo()
    click.echo("Demo clinic " + ("created." if created else "already present."))
    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for role, email in logins:
        click.echo(f"  {role:<38} {email}")


@scheduler_cli.command("run")
def run_scheduler() -> None:
    """Run the scheduler as its own process, whatever SCHEDULER_ENABLED says."""
    from app.scheduler.runner import build

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    click.echo("scheduler running (Ctrl+C to stop)")
    try:
        build(current_app._get_current_object(), blocking=True).start()  # type: ignore[attr-defined]
    except (KeyboardInterrupt, SystemExit):
        click.echo("scheduler stopped")


@click.command("serve")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
def serve(host: str, port: int) -> None:
    """Development server, with the scheduler inside unless SCHEDULER_ENABLED is off."""
    from app.scheduler.runner import build

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    scheduler = None
    if app.config.get("SCHEDULER_ENABLED") is not False:
        scheduler = build(app, blocking=False)
        scheduler.start()
        click.echo("scheduler: running inside the dev server")
    click.echo(f"serving on http://{host}:{port}")
    try:
        # app.run() refuses to run inside a `flask` command; run_simple is what it would call.
        run_simple(host, port, app, threaded=True, use_reloader=False)
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)


def register_cli(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(scheduler_cli)
    app.cli.add_command(audit_cli)
    app.cli.add_command(serve)
