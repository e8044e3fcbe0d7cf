"""Stored markup renders inert on every page that shows it, for every actor.

Names (patients, clinicians, staff), a clinician's bio, goals, problems, interventions, medications and the
reason one was stopped, handoff notes (with an @mention of a teammate whose name is itself markup), the
reason given to break the glass (shown in the team's tasks), care-management minutes notes and a browser's
User-Agent all hold ``<img src=x onerror=alert(1)>``, an attribute break-out and ``{{7*7}}``. Every GET page
of the URL map, for every actor, must show them escaped: never a live tag, never ``49`` where the template
syntax was. Each stored field must be shown (escaped) somewhere, so the walk cannot pass by showing nothing.
Query strings are tried too (reflected markup), and the CSV exports must not start a cell with a formula.
"""

from __future__ import annotations

import csv
import io
import re

from app.care_team import handoff, minutes
from app.care_team import service as care
from app.care_team.medication import Medication
from app.extensions import db
from tests.integration.actors import (
    ACTORS,
    ADMIN,
    ANONYMOUS,
    BILLING_ADMIN,
    PATIENT_A,
    PATIENT_B,
    PRESCRIBER_OFF,
    PRESCRIBER_ON,
    THERAPIST_OFF,
    THERAPIST_ON,
    build_world,
    sign_in_everyone,
)
from tests.integration.test_access_roles_matrix import _args, fill, url_map_routes

XSS = "<img src=x onerror=alert(1)>"
BREAKOUT = "\"'><svg onload=alert(2)>"
SSTI = "q{{7*7}}q"


def payload(label: str) -> str:
    return f"{label} {XSS} {BREAKOUT} {SSTI}"


def escaped(label: str) -> str:
    """How ``payload(label)`` reads in the HTML once escaped (Jinja escapes both kinds of quote)."""
    return f"{label} &lt;img src=x onerror=alert(1)&gt; "


LIVE = re.compile(r"<img[^>]*onerror|<svg[^>]*onload|q49q", re.IGNORECASE)

NAMES = {
    PATIENT_A: payload("NAMEPA"),
    PATIENT_B: payload("NAMEPB"),
    THERAPIST_ON: payload("NAMETH"),
    PRESCRIBER_ON: payload("NAMEPR"),
    THERAPIST_OFF: payload("NAMETX"),
    PRESCRIBER_OFF: payload("NAMEPX"),
    BILLING_ADMIN: payload("NAMEBA"),
    ADMIN: payload("NAMEAD"),
}
# Fields that some page must show; the rest may be shown nowhere, but where shown, escaped.
MUST_SHOW = {
    "NAMEPA",
    "NAMETH",
    "NAMEPR",
    "BIO",
    "GOAL",
    "TARGET",
    "PROBLEM",
    "MED",
    "DOSE",
    "INSTR",
    "MEDWHY",
    "NOTE",
    "GLASS",
    "MINUTES",
}


def _store(world) -> None:
    a = world.a
    therapist, prescriber = world.users[THERAPIST_ON], world.users[PRESCRIBER_ON]
    therapist.clinician.bio = payload("BIO")
    db.session.commit()
    plan, _ = care.get_plan(therapist, a.id)
    care.patch_plan(
        therapist,
        a.id,
        plan.version,
        {
            "goals": [{"text": payload("GOAL"), "target": payload("TARGET")[:200], "status": "active"}],
            "problems": [{"text": payload("PROBLEM")}],
            "interventions": [
                {"text": payload("INTERVENTION"), "modality": payload("MODALITY")[:200], "owner_id": therapist.id}
            ],
        },
    )
    med = care.add_medication(
        prescriber,
        a.id,
        {
            "name": payload("MED")[:200],
            "dose": payload("DOSE")[:200],
            "frequency": payload("FREQ")[:200],
            "instructions": payload("INSTR"),
        },
    )
    care.discontinue_medication(prescriber, a.id, med.id, payload("MEDWHY"))
    care.add_medication(prescriber, a.id, {"name": payload("MEDLIVE")[:200], "dose": "1", "frequency": "d"})
    handoff.add_note(therapist, a.id, f"@{therapist.name} " + payload("NOTE"), [prescriber.id])
    care.break_glass(world.users[THERAPIST_OFF], a.id, payload("GLASS"))
    minutes.log(therapist, a.id, minutes.today_for(therapist), 15, "outreach", payload("MINUTES"))
    assert db.session.scalar(db.select(db.func.count()).select_from(Medication).where(Medication.patient_id == a.id))


def test_stored_markup_is_inert_on_every_page_for_every_actor(app, make_patient, make_clinician, make_staff):
    world = build_world(make_patient, make_clinician, make_staff, names=NAMES)
    _store(world)
    sign_in_everyone(app, world)
    # A browser whose User-Agent is markup (sessions list it).
    world.pages[PATIENT_A].environ_base["HTTP_USER_AGENT"] = payload("UA")
    args = _args(world, "a_therapist") | {
        "user_id": world.a.id,
        "token": "x" * 40,
        "clinician_id": world.users[THERAPIST_ON].id,
    }
    pages = []
    for _key, method, rule in url_map_routes(app):
        if method == "GET" and not rule.startswith(("/api/", "/static/")):
            pages.append(fill(rule, args))
    pages += [f"/clinicians/{world.users[PRESCRIBER_ON].id}", f"/appointments/{world.appointments['a_prescriber'].id}"]
    seen: set[str] = set()
    failures = []
    for actor in ACTORS:
        for path in pages:
            response = world.pages[actor].get(path)
            html = response.get_data(as_text=True)
            if response.status_code >= 500:
                failures.append((actor, path, response.status_code))
            if response.mimetype != "text/html":  # CSV and calendar downloads: not rendered by the browser
                assert response.headers.get("X-Content-Type-Options") == "nosniff", path
                continue
            if match := LIVE.search(html):
                failures.append((actor, path, html[max(0, match.start() - 80) : match.end() + 20]))
            seen |= {label for label in _labels() if escaped(label) in html}
    assert failures == [], "\n".join(map(str, failures))
    assert MUST_SHOW - seen == set(), f"never shown, so never checked: {sorted(MUST_SHOW - seen)}"


def _labels() -> set[str]:
    return MUST_SHOW | {
        "NAMEPB",
        "NAMETX",
        "NAMEPX",
        "NAMEBA",
        "NAMEAD",
        "INTERVENTION",
        "MODALITY",
        "FREQ",
        "MEDLIVE",
        "UA",
    }


def test_markup_in_query_strings_is_not_reflected(app, make_patient, make_clinician, make_staff):
    world = build_world(make_patient, make_clinician, make_staff)
    sign_in_everyone(app, world)
    args = _args(world, "a_therapist") | {
        "user_id": world.a.id,
        "token": "x" * 40,
        "clinician_id": world.users[THERAPIST_ON].id,
    }
    query = {
        name: payload("Q")
        for name in (
            "q",
            "next",
            "action",
            "actor",
            "patient",
            "since",
            "status",
            "flag",
            "month",
            "week",
            "type",
            "tz",
            "state",
            "language",
            "modality",
            "instrument",
            "outcome",
            "reschedule",
            "session_id",
        )
    }
    failures = []
    for actor in (ANONYMOUS, PATIENT_A, THERAPIST_ON, PRESCRIBER_ON, BILLING_ADMIN, ADMIN):
        for _key, method, rule in url_map_routes(app):
            if method != "GET" or rule.startswith(("/api/", "/static/")):
                continue
            path = fill(rule, args)
            response = world.pages[actor].get(path, query_string=query)
            html = response.get_data(as_text=True)
            if response.status_code >= 500:
                failures.append((actor, path, response.status_code))
            elif response.mimetype == "text/html" and (match := LIVE.search(html)):
                failures.append((actor, path, html[max(0, match.start() - 80) : match.end() + 20]))
            location = response.headers.get("Location", "")
            if location.startswith(("//", "http")) and "localhost" not in location:
                failures.append((actor, path, f"redirects off-site to {location}"))
    assert failures == [], "\n".join(map(str, failures))


FORMULA = '=HYPERLINK("http://evil.example","x")'


def test_csv_exports_do_not_start_cells_with_formulas(app, make_patient, make_clinician, make_staff):
    names = {PATIENT_A: FORMULA, THERAPIST_ON: "+SUM(1,2)", PRESCRIBER_ON: "@SUM(1)", ADMIN: "-2+3"}
    world = build_world(make_patient, make_clinician, make_staff, names=names)
    therapist = world.users[THERAPIST_ON]
    minutes.log(therapist, world.a.id, minutes.today_for(therapist), 15, "outreach", "=1+1 note")
    sign_in_everyone(app, world)
    exports = []
    for _key, method, rule in url_map_routes(app):
        if method == "GET" and rule.endswith(".csv"):
            exports.append(fill(rule, _args(world, "a_therapist")))
    assert exports, "no CSV export in the URL map"
    checked, neutralised = 0, set()
    for path in exports:
        for actor in (THERAPIST_ON, ADMIN, BILLING_ADMIN):
            response = world.pages[actor].get(path, query_string={"patient": str(world.a.id)})
            if response.status_code != 200 or not response.mimetype.endswith("csv"):
                continue
            checked += 1
            for row in csv.reader(io.StringIO(response.get_data(as_text=True))):
                neutralised |= {cell for cell in row if cell in ("'" + FORMULA, "'+SUM(1,2)", "'=1+1 note")}
                for cell in row:
                    assert not cell.startswith(("=", "+", "@", "\t", "\r")), (path, actor, cell)
                    assert not (cell.startswith("-") and any(c.isalpha() or c in "+(" for c in cell)), (path, cell)
    assert checked >= 2
    # The formulas were exported (quoted), so the check above saw them rather than nothing.
    assert neutralised == {"'" + FORMULA, "'+SUM(1,2)", "'=1+1 note"}
