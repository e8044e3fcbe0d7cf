"""Secure messaging pages: the patient's thread with the care team (write, read, see who read), the
clinician inbox with unread counts, and replying from the thread. Every page says messages are not
for emergencies and shows 988 and 911; a patient's message in crisis words shows them at once, as a
box the screen reader announces, above the thread."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from app import access
from app.errors import Invalid
from app.messaging import service
from app.messaging.message import BODY_MAX
from app.pagekit.pages import page
from app.reference.roles import Role

bp = Blueprint("messaging", __name__)
CRISIS_SHOWN = "messaging_crisis"  # session flag: the next thread page opens with the crisis box


@page(bp, "/messages", access_rule=access.roles(Role.PATIENT, Role.CLINICIAN))
def inbox() -> ResponseReturnValue:
    """The patient's own thread; the clinician's inbox (threads of their teams' patients)."""
    if current_user.role == Role.PATIENT:
        return redirect(url_for("messaging.thread", patient_id=current_user.id))
    return render_template("messaging/inbox.html", rows=service.inbox(current_user))


# Patient-data pages are open to any signed-in role at the gate: the service answers 404 for everyone who
# is neither the patient nor on the team (billing admins and admins included).
@page(bp, "/patients/<int:patient_id>/messages", access_rule=access.ANY_USER)
def thread(patient_id: int) -> ResponseReturnValue:
    return _render(patient_id, crisis=bool(session.pop(CRISIS_SHOWN, False)))


@page(bp, "/patients/<int:patient_id>/messages", access_rule=access.ANY_USER, methods=["POST"])
def send(patient_id: int) -> ResponseReturnValue:
    body = request.form.get("body", "")
    try:
        sent = service.send(current_user, patient_id, body)
    except Invalid as exc:
        return _render(patient_id, errors=exc.fields, body=body[: BODY_MAX * 2], status=422)
    if sent.crisis:
        session[CRISIS_SHOWN] = True
    flash("Message sent to your care team." if current_user.id == patient_id else "Message sent.", "success")
    return redirect(url_for("messaging.thread", patient_id=patient_id, _anchor=f"message-{sent.message.id}"))


def _render(
    patient_id: int, *, crisis: bool = False, errors: dict[str, str] | None = None, body: str = "", status: int = 200
) -> ResponseReturnValue:
    view = service.thread(current_user, patient_id)
    context = view.context() | {"crisis": crisis, "errors": errors or {}, "body": body, "body_max": BODY_MAX}
    return render_template("messaging/thread.html", **context), status
