"""The admin disables a clinician (``booking.offboarding``): a confirmation page lists their future visits,
each with the colleagues who could take it (or "Cancel the visit"), and the started visits still to be
marked; confirming moves or cancels every visit and disables the account in one step. Attached to the
booking blueprint; the staff page's "Disable" button for a clinician leads here."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from app import access
from app.booking import offboarding
from app.booking.types import TYPES
from app.booking.views.pages import bp
from app.errors import Invalid
from app.pagekit.pages import page
from app.reference.roles import Role

ADMIN = access.roles(Role.ADMIN)


def _page(clinician_id: int, errors: dict[str, str], chosen: dict[int, str], status: int = 200) -> ResponseReturnValue:
    found = offboarding.plan(clinician_id)
    return render_template(
        "booking/offboard.html", plan=found, errors=errors, chosen=chosen, types=TYPES, cancel=offboarding.CANCEL
    ), status


@page(bp, "/admin/clinicians/<int:clinician_id>/disable", access_rule=ADMIN, methods=["GET", "POST"])
def offboard_clinician(clinician_id: int) -> ResponseReturnValue:
    if request.method == "GET":
        return _page(clinician_id, {}, {})
    choices = {
        int(key.removeprefix("visit_")): value
        for key, value in request.form.items()
        if key.startswith("visit_") and key.removeprefix("visit_").isdigit() and len(key) < 20
    }
    try:
        leaving = offboarding.offboard(current_user, clinician_id, choices)
    except Invalid as exc:
        return _page(clinician_id, exc.fields, choices, 422)
    except (offboarding.UnmarkedVisits, offboarding.AlreadyDisabled) as exc:
        flash(exc.message, "error")
        return redirect(url_for("booking.offboard_clinician", clinician_id=clinician_id))
    moved = sum(1 for v in choices.values() if v != offboarding.CANCEL)
    cancelled = len(choices) - moved
    flash(f"{leaving.name} is disabled. Visits moved to a colleague: {moved}; cancelled: {cancelled}. "
          "Each patient was told by text (if they accept texts) and on their dashboard.", "success")  # fmt: skip
    return redirect(url_for("auth.admin_users"))
