"""Visit-note pages: the note of an appointment ("Start note", save draft, sign, addenda, withhold), a
patient's visit notes, and the clinician's private psychotherapy note of a visit.

The gate is any signed-in user; the services answer 404 to everyone who may not see the record."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app import access
from app.errors import Invalid
from app.notes import access as note_access
from app.notes import diagnoses, psychotherapy, service
from app.notes.note_templates import MAX_SECTION_CHARS, TEMPLATES, fitting
from app.pagekit.pages import page
from app.reference import icd10

bp = Blueprint("notes", __name__)
MAX_REASON_CHARS = 2000

NOTE_LABELS = {"template": "Template", "sections": "Note", "confirm": "Confirmation", "text": "Addendum",
               "reason": "Reason"}  # fmt: skip


def _plain(fields: dict[str, str]) -> dict[str, str]:
    """The notes service's field errors in plain words, each on its form field (``section_<key>``)."""
    errors: dict[str, str] = {}
    for name, reason in fields.items():
        if name == "template":
            errors["template"] = "Choose a note template that fits this visit."
        elif name.startswith("sections."):
            if "at most" in reason:
                plain = f"Keep this section under {MAX_SECTION_CHARS:,} characters."
            elif reason == "must be text" or reason.startswith("not a section"):
                plain = "Write this section as text."
            else:  # the diagnosis codes' checks (notes/diagnoses.py) are written in plain words already
                plain = reason
            errors["section_" + name.removeprefix("sections.")] = plain
        else:
            errors["sections"] = "Write at least one section before signing."
    return errors


def _render_note(appointment_id: int, errors: dict[str, str] | None = None, status: int = 200) -> Any:
    view = service.note_page(current_user, appointment_id, request.values.get("template"))
    values: dict[str, str] = {}
    if view.note is not None:
        values = {k: str(v) for k, v in (view.note.sections or {}).items()}
    if request.method == "POST" and errors:  # keep what was typed
        values |= {k.removeprefix("section_"): v for k, v in request.form.items() if k.startswith("section_")}
    labels = NOTE_LABELS | {f"section_{key}": label for key, label in (view.template.sections if view.template else ())}
    return render_template(
        "notes/visit_note.html", view=view, values=values, errors=errors or {}, labels=labels,
        max_chars=MAX_SECTION_CHARS, icd=_icd10_search(request.values.get("icd_q", "")),
    ), status  # fmt: skip


def _icd10_search(q: str) -> dict[str, Any]:
    """The diagnosis section's code search without JavaScript: the query and its results."""
    q = q.strip()[:100]
    return {"q": q, "results": icd10.search(q, 20) if len(q) >= 2 else []}


def _with_code(sections: dict[str, str], code: str) -> dict[str, str] | None:
    """The sections with a coded diagnosis line added to the diagnosis section (once); None for a code
    that is not a billable ICD-10-CM code."""
    description = icd10.lookup(code)
    if description is None:
        return None
    code = icd10.normalise(code)
    current = sections.get(diagnoses.SECTION, "").rstrip()
    if any(d.code == code for d in diagnoses.coded(current)[0]):
        return sections
    line = f"{code} {description}"
    return sections | {diagnoses.SECTION: f"{current}\n{line}" if current else line}


@page(bp, "/appointments/<int:appointment_id>/note", access_rule=access.ANY_USER)
def visit_note(appointment_id: int) -> Any:
    """The note of the visit: the editor for its clinician while a draft, the signed note for the team and
    the patient, with the latest scores and active medications beside it for the team."""
    return _render_note(appointment_id)


@page(bp, "/appointments/<int:appointment_id>/note", access_rule=access.ANY_USER, methods=["POST"])
def save_visit_note(appointment_id: int) -> Any:
    """Save the draft (the first save starts the note with the chosen template)."""
    appointment = note_access.its_clinician(current_user, appointment_id)
    template = request.form.get("template", "")
    codes = [t.code for t in fitting(appointment.type)]
    template = template if template in TEMPLATES else (codes[0] if codes else "")
    sections = {
        key.removeprefix("section_"): value[: MAX_SECTION_CHARS + 1]
        for key, value in request.form.items()
        if key.startswith("section_")
    }
    if code := request.form.get("add_code", "").strip()[:10]:  # a code picked from the search
        with_code = _with_code(sections, code) if template == diagnoses.TEMPLATE else None
        if with_code is None:
            return _render_note(appointment_id, {"section_diagnosis": "Pick a code from the search results."}, 422)
        sections = with_code
    try:
        service.save_draft(current_user, appointment_id, template, sections)
    except Invalid as exc:
        return _render_note(appointment_id, _plain(exc.fields), 422)
    if request.form.get("icd_search"):  # "Search codes" without JavaScript: saved, then the results
        q = request.form.get("icd_q", "").strip()[:100]
        return redirect(url_for("notes.visit_note", appointment_id=appointment_id, icd_q=q, _anchor="diagnosis-codes"))
    if code:
        flash(f"{icd10.normalise(code)} added to the diagnosis; draft saved.", "success")
        return redirect(url_for("notes.visit_note", appointment_id=appointment_id, _anchor="section_diagnosis"))
    flash("Draft saved. It is visible to you only until you sign it.", "success")
    return redirect(url_for("notes.visit_note", appointment_id=appointment_id))


@page(bp, "/visit-notes/<int:note_id>/sign", access_rule=access.ANY_USER, methods=["POST"])
def sign_visit_note(note_id: int) -> Any:
    """Sign after an explicit confirmation: the text is locked from then on."""
    note = service.signable(current_user, note_id)
    if request.form.get("confirm") != "yes":
        return _render_note(note.appointment_id, {"confirm": "Tick the box to confirm you are signing."}, 422)
    try:
        signed = service.sign(current_user, note_id)
    except Invalid as exc:
        return _render_note(note.appointment_id, _plain(exc.fields), 422)
    message = "Note signed. It can no longer be changed; add an addendum if something needs adding."
    if signed.template == diagnoses.TEMPLATE and diagnoses.coded(str(signed.sections.get(diagnoses.SECTION) or ""))[0]:
        message += " Its coded diagnoses are on the problem list."
    flash(message, "success")
    return redirect(url_for("notes.visit_note", appointment_id=note.appointment_id))


@page(bp, "/visit-notes/<int:note_id>/addenda", access_rule=access.ANY_USER, methods=["POST"])
def add_addendum(note_id: int) -> Any:
    note = service.addendum_allowed(current_user, note_id)  # who may, before what to fix in the form
    text = request.form.get("text", "").strip()
    if not text or len(text) > MAX_SECTION_CHARS:
        message = "Write the addendum." if not text else f"At most {MAX_SECTION_CHARS} characters."
        return _render_note(note.appointment_id, {"text": message}, 422)
    service.add_addendum(current_user, note_id, text)
    flash("Addendum signed and added.", "success")
    return redirect(url_for("notes.visit_note", appointment_id=note.appointment_id))


@page(bp, "/visit-notes/<int:note_id>/withhold", access_rule=access.ANY_USER, methods=["POST"])
def withhold_visit_note(note_id: int) -> Any:
    note = service.withhold_allowed(current_user, note_id)  # who may, before what to fix in the form
    reason = request.form.get("reason", "").strip()
    if not reason or len(reason) > MAX_REASON_CHARS:
        message = "Record why access would endanger someone." if not reason else "At most 2000 characters."
        return _render_note(note.appointment_id, {"reason": message}, 422)
    service.withhold(current_user, note_id, reason)
    flash("The note is withheld from the patient. The reason is recorded in the audit trail.", "info")
    return redirect(url_for("notes.visit_note", appointment_id=note.appointment_id))


@page(bp, "/patients/<int:patient_id>/visit-notes", access_rule=access.ANY_USER)
def patient_notes(patient_id: int) -> Any:
    """The patient's visit notes: "Your visit notes" for the patient (signed, not withheld), the signed
    notes and one's own drafts for the team."""
    notes = service.patient_notes(current_user, patient_id)
    return render_template(
        "notes/patient_notes.html",
        notes=notes,
        patient_id=patient_id,
        is_patient=current_user.id == patient_id,
        names=service.names_of(notes),
        templates=TEMPLATES,
        header=service.header_for(current_user, patient_id),
    )


@page(bp, "/appointments/<int:appointment_id>/psychotherapy-note", access_rule=access.ANY_USER, methods=["GET", "POST"])
def psychotherapy_note(appointment_id: int) -> Any:
    """The clinician's private psychotherapy note of the visit: 404 for everyone else."""
    errors: dict[str, str] = {}
    if request.method == "POST":
        psychotherapy.authored_visit(current_user, appointment_id)
        text = request.form.get("text", "")
        if len(text) > MAX_SECTION_CHARS:
            errors["text"] = f"Keep the note under {MAX_SECTION_CHARS:,} characters."
        else:
            psychotherapy.write(current_user, appointment_id, text)
            flash("Psychotherapy note saved. Only you can read it.", "success")
            return redirect(url_for("notes.psychotherapy_note", appointment_id=appointment_id))
    appointment, note = psychotherapy.read(current_user, appointment_id)
    text = request.form.get("text", "") if errors else (note.text if note else "")
    return render_template(
        "notes/psychotherapy_note.html", appointment=appointment, note=note, text=text, errors=errors,
        labels={"text": "Psychotherapy note"},
    ), (422 if errors else 200)  # fmt: skip
