"""The "Which care fits me?" page: anyone may take it; a signed-in patient's result is saved."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from app import access
from app.care_team.measures import ANSWER_LABELS, GAD7_ITEMS, PHQ9_ITEMS, InvalidAnswers
from app.intake import service
from app.intake.recommend import CRISIS_SIGN, CRISIS_TEXT, PSYCHIATRY_SIGNS, THERAPY_SIGNS
from app.pagekit.pages import page
from app.reference.roles import Role

bp = Blueprint("intake", __name__)


def _answers(prefix: str, count: int) -> tuple[list[int] | None, list[int]]:
    """The answers of one questionnaire, None when left entirely blank; plus the unanswered items."""
    raw = [request.form.get(f"{prefix}{i}", "") for i in range(count)]
    if not any(raw):
        return None, []
    missing = [i for i, value in enumerate(raw) if value not in {"0", "1", "2", "3"}]
    return ([int(v) for v in raw] if not missing else None), missing


def _form(**extra: Any) -> str:
    return render_template(
        "intake/form.html", psychiatry=PSYCHIATRY_SIGNS, therapy=THERAPY_SIGNS, crisis_key=CRISIS_SIGN,
        crisis_text=CRISIS_TEXT, phq9=PHQ9_ITEMS, gad7=GAD7_ITEMS, labels=ANSWER_LABELS, **extra,
    )  # fmt: skip


@page(bp, "/care-finder", access_rule=access.PUBLIC, methods=["GET", "POST"])
def care_finder() -> ResponseReturnValue:
    if request.method == "GET":
        return _form(values=request.form, missing={})
    signs = set(request.form.getlist("signs"))
    phq9, phq9_missing = _answers("phq9_", len(PHQ9_ITEMS))
    gad7, gad7_missing = _answers("gad7_", len(GAD7_ITEMS))
    if phq9_missing or gad7_missing:
        missing = {f"phq9_{i}" for i in phq9_missing} | {f"gad7_{i}" for i in gad7_missing}
        return _form(values=request.form, missing=missing), 422
    try:
        outcome = service.evaluate(signs, phq9, gad7)
    except InvalidAnswers:
        return _form(values=request.form, missing={}), 422
    saved = False
    if current_user.is_authenticated and current_user.role == Role.PATIENT:
        service.save(current_user, signs, phq9, gad7, outcome)
        saved = True
    return render_template("intake/result.html", outcome=outcome, saved=saved)
