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
from app.validation import validation_fields

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
@click.option("--since-checkpoint", "checkpoint_file", type=click.Path(exists=True, dir_okay=False),
              help="A checkpoint file (AUDIT_CHECKPOINT_FILE): the chain must also hold every signed checkpoint "
                   "in it and reach the newest, so rows cut off the end are found.")  # fmt: skip
def audit_verify(checkpoint_file: str | None) -> None:
    """Walk the chain and report the first broken link (exit 1 when broken)."""
    from app.audit.chain import CheckpointError, audit_key, read_checkpoints, verify

    try:
        if checkpoint_file:
            with open(checkpoint_file, encoding="utf-8") as lines:
                result = verify(checkpoints=list(read_checkpoints(lines, audit_key())))
        else:
            result = verify()
    except CheckpointError as exc:
        click.echo(f"BROKEN: checkpoint file {checkpoint_file}: {exc}")
        raise SystemExit(1) from exc
    if result.broken_at is not None:
        click.echo(
            f"BROKEN at chain_seq {result.broken_at}: {result.reason} ({result.checked} rows verified before it)"
        )
        raise SystemExit(1)
    message = f"audit chain intact: {result.checked} rows verified, {result.unsealed} not sealed yet"
    if checkpoint_file:
        latest = result.latest_checkpoint
        message += f"; {result.checkpoints} checkpoints hold" + (
            f" (newest: chain_seq {latest.seq} at {latest.at})" if latest else " (the file has none)"
        )
    click.echo(message)


@audit_cli.command("checkpoint")
def audit_checkpoint() -> None:
    """Write a signed checkpoint of the chain's head now (each seal also writes one)."""
    from app.audit.chain import head, write_checkpoint

    seq, row_hash = head()
    if not seq:
        click.echo("nothing sealed yet: no checkpoint written")
        return
    point = write_checkpoint(seq, row_hash)
    click.echo(f"checkpoint: chain_seq {point.seq} at {point.at}")


@audit_cli.command("grant-app-role")
@click.argument("role")
def audit_grant_app_role(role: str) -> None:
    """Grant the application's PostgreSQL ROLE what it needs: on audit_events only SELECT and INSERT
    (plus filling the chain columns of unsealed rows). Run as the owner (MIGRATION_DATABASE_URL)."""
    from app.audit.roles import RoleError, grant_app_role

    try:
        statements = grant_app_role(role)
    except RoleError as exc:
        click.echo(str(exc), err=True)
        raise SystemExit(1) from exc
    for statement in statements:
        click.echo(statement + ";")
    click.echo(f"granted: {role} may read and append to audit_events, not change, delete or truncate it")


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
    for login in logins:
        click.echo(login.line())


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
