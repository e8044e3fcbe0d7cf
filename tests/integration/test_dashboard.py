"""The patient dashboard (next visit and when it can be joined, visits, open check-ins, the care plan in
plain words, score trends, who viewed the record) and the staff dashboards, from which every page a
role may open is at most two clicks away."""

from __future__ import annotations

import re
from datetime import UTC, timedelta
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from werkzeug.exceptions import HTTPException

from app import access
from app.booking import openings
from app.booking import service as booking
from app.care_team import service as care
from app.db import utcnow
from app.pagekit.formatting import localtime
from app.web.dashboard import patient_dashboard
from tests.integration.conftest import csrf_token_from

EVERY_DAY = {"weekly": [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)], "min_notice_minutes": 0}
KIND = "initial_consultation"  # any clinician offers it and it needs no membership
EASTERN = re.compile(r"\b(EST|EDT)\b")


def _slot(clinician, day_offset: int, n: int = 0):
    day = (utcnow() + timedelta(days=day_offset)).date()
    return openings.open_slots(clinician, KIND, day, day, "America/New_York")[n][0]


@pytest.fixture
def people(make_patient, make_clinician):
    patient = make_patient(name="Dee Dashboard")
    prescriber = make_clinician("PMHNP", name="Pat Prescriber")
    therapist = make_clinician("LMHC", name="Terry Therapist")
    for clinician in (prescriber, therapist):
        booking.update_availability(clinician, EVERY_DAY, actor=clinician)
    return patient, prescriber, therapist


def test_next_visit_can_be_joined_from_15_minutes_before_the_start(people):
    patient, prescriber, therapist = people
    first = booking.book(patient, prescriber.id, KIND, _slot(prescriber, 3))
    later = booking.book(patient, therapist.id, KIND, _slot(therapist, 5))
    early = patient_dashboard(patient, first.start_at - timedelta(minutes=16))
    assert early.next_visit.appointment.id == first.id and not early.next_visit.can_join
    assert early.next_visit.join_opens_at == first.start_at - timedelta(minutes=15)
    assert early.next_visit.clinician == "Pat Prescriber"
    assert [v.appointment.id for v in early.upcoming] == [later.id]
    assert patient_dashboard(patient, first.start_at - timedelta(minutes=15)).next_visit.can_join
    assert patient_dashboard(patient, first.end_at).next_visit.can_join
    after = patient_dashboard(patient, first.end_at + timedelta(minutes=1))
    assert after.next_visit.appointment.id == later.id
    assert [v.appointment.id for v in after.past] == [first.id]


def test_dashboard_page_shows_visits_with_the_zone_and_when_join_opens(client, people, browser_login):
    patient, prescriber, therapist = people
    soon = booking.book(patient, prescriber.id, KIND, _slot(prescriber, 2))
    booking.book(patient, therapist.id, KIND, _slot(therapist, 4))
    cancelled = booking.book(patient, therapist.id, KIND, _slot(therapist, 6))
    booking.cancel(patient, cancelled.id, None)
    browser_login(patient)
    html = client.get("/dashboard").get_data(as_text=True)
    card = html.split('id="next-visit-title"')[1].split("</section>")[0]
    assert "Initial consultation" in card and "Pat Prescriber" in card and "Join video visit" not in card
    opens = soon.start_at - timedelta(minutes=15)
    assert f"You can join from <strong>{localtime(opens, 'America/New_York')}</strong>, 15 minutes before" in card
    assert EASTERN.search(card)
    visits = html.split('id="visits-title"')[1].split("</section>")[0]
    assert "Terry Therapist" in visits and "cancelled" in visits and len(EASTERN.findall(visits)) >= 2
    assert "{#" not in html  # the marked spot for the membership card is a template comment, never sent


def test_join_button_when_the_visit_is_about_to_start(client, people, browser_login):
    patient, prescriber, _ = people
    now = utcnow()
    yesterday, tomorrow = (now - timedelta(days=1)).date(), (now + timedelta(days=1)).date()
    slots = openings.open_slots(prescriber, KIND, yesterday, tomorrow, "America/New_York", now=now - timedelta(days=2))
    # In UTC: minus 14 minutes on a New York time is wall-clock arithmetic, an hour off on the fall-back night.
    spans = [(s.astimezone(UTC), e.astimezone(UTC)) for s, e in slots]
    start = next(s for s, e in spans if s - timedelta(minutes=14) <= now < e - timedelta(minutes=2))
    visit = booking.book(patient, prescriber.id, KIND, start, now=start - timedelta(hours=1))
    browser_login(patient)
    html = client.get("/dashboard").get_data(as_text=True)
    card = html.split('id="next-visit-title"')[1].split("</section>")[0]
    assert f'href="/visits/{visit.visit_token}">Join video visit</a>' in card
    assert client.get(f"/visits/{visit.visit_token}").status_code == 200


def test_open_check_ins_care_plan_trend_and_record_access(client, people, browser_login):
    patient, prescriber, therapist = people
    booking.book(patient, prescriber.id, KIND, _slot(prescriber, 2))
    booking.book(patient, therapist.id, KIND, _slot(therapist, 3))
    now = utcnow()
    care.add_assessment(patient, patient.id, "PHQ-9", [2] * 9, now=now - timedelta(days=40))
    care.add_assessment(patient, patient.id, "PHQ-9", [1] * 9, now=now - timedelta(days=20))
    care.add_assessment(patient, patient.id, "GAD-7", [1] * 7, now=now - timedelta(days=3))
    goal = {"text": "Sleep through the night", "target": "5 nights a week", "status": "active"}
    care.patch_plan(therapist, patient.id, 0, {"goals": [goal]})
    care.add_medication(prescriber, patient.id, {"name": "Sertraline", "dose": "50 mg", "frequency": "once a day",
                                                 "instructions": "with breakfast"})  # fmt: skip
    care.get_plan(therapist, patient.id)  # the therapist opens the record

    data = patient_dashboard(patient, now)
    assert [c.instrument for c in data.open_check_ins] == ["PHQ-9"]  # the last PHQ-9 is 20 days old
    assert [t.name for t in data.team] == ["Pat Prescriber", "Terry Therapist"]

    browser_login(patient)
    html = client.get("/dashboard").get_data(as_text=True)
    checkins = html.split('id="checkins-title"')[1].split("</section>")[0]
    assert "Mood check-in (PHQ-9)" in checkins and "GAD-7" not in checkins
    assert 'href="/check-in?instrument=PHQ-9"' in checkins
    plan = html.split('id="plan-title"')[1].split("</section>")[0]
    assert "“Sleep through the night”" in plan and "5 nights a week" in plan and "working on it" in plan
    assert "Sertraline" in plan and "with breakfast" in plan and "prescribed by Pat Prescriber" in plan
    assert "Psychiatric nurse practitioner (PMHNP)" in plan and "Therapy" in plan
    trend = html.split('id="trend-title"')[1].split("</section>")[0]
    assert trend.count("<svg ") == 2 and 'data-instrument="PHQ-9"' in trend and 'data-instrument="GAD-7"' in trend
    assert trend.count('class="point"') == 3 and "latest 9 (mild)" in trend
    viewed = html.split('id="access-title"')[1].split("</section>")[0]
    assert "Terry Therapist" in viewed and "viewed your care plan" in viewed and EASTERN.search(viewed)


def test_a_new_patient_sees_what_to_do_next(client, make_patient, browser_login):
    patient = make_patient()
    browser_login(patient)
    html = client.get("/dashboard").get_data(as_text=True)
    assert "No upcoming visits" in html and 'href="/clinicians"' in html
    assert "Take the five-minute questionnaire" in html
    assert html.count("is due") == 2  # neither check-in done yet
    assert "No scores yet" in html and "Nobody else has opened your record yet." in html


# --- every feature a staff role has is linked ---------------------------------------------------

SIGNED_OUT_ONLY = {"auth.login", "accounts.signup"}  # pages for visitors, not features of a role


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def _pages_for(app, role: str | None) -> set[str]:
    """Every GET page without URL parameters that needs a sign-in and that ``role`` may open (with
    ``None``: every public page), from the URL map."""
    endpoints = set()
    for rule in app.url_map.iter_rules():
        rule_access = getattr(app.view_functions[rule.endpoint], "access_rule", None)
        if rule.arguments or "GET" not in rule.methods or rule.endpoint.startswith("api.") or rule_access is None:
            continue
        if rule_access == access.MFA_STEP or rule.endpoint in SIGNED_OUT_ONLY:
            continue  # the steps of signing in are not features
        if role is None:
            allowed = rule_access == access.PUBLIC
        else:
            allowed = rule_access == access.ANY_USER or (
                isinstance(rule_access, frozenset) and role in {r.value for r in rule_access}
            )
        if allowed:
            endpoints.add(rule.endpoint)
    return endpoints


def _endpoint(adapter, href: str) -> tuple[str, str] | None:
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    try:
        endpoint, _ = adapter.match(parts.path, method="GET")
    except HTTPException:
        return None
    return endpoint, parts.path + (f"?{parts.query}" if parts.query else "")


def _reachable(app, client, start: str = "/dashboard", clicks: int = 2) -> set[str]:
    adapter = app.url_map.bind("localhost")
    seen, frontier, found = {start}, [start], set()
    for _ in range(clicks):
        following = []
        for url in frontier:
            response = client.get(url)
            if response.status_code != 200 or "html" not in response.content_type:
                continue
            parser = _Links()
            parser.feed(response.get_data(as_text=True))
            for href in parser.hrefs:
                hit = _endpoint(adapter, href)
                if hit is None:
                    continue
                found.add(hit[0])
                if hit[1] not in seen:
                    seen.add(hit[1])
                    following.append(hit[1])
        frontier = following
    return found


@pytest.mark.parametrize("who", ["therapist", "prescriber", "billing_admin", "admin"])
def test_every_page_of_the_role_is_within_two_clicks_of_the_dashboard(
    app, client, who, make_clinician, make_staff, make_patient, browser_login
):
    if who in ("therapist", "prescriber"):
        user = make_clinician("LMFT" if who == "therapist" else "MD")
        booking.update_availability(user, EVERY_DAY, actor=user)
        booking.book(make_patient(), user.id, KIND, _slot(user, 2))  # a caseload with someone in it
    else:
        user = make_staff(who)
    browser_login(user)
    adapter = app.url_map.bind("localhost")
    # The route rule is the coarse gate; a page the service refuses this user (403) is not theirs, and a
    # JSON helper of the pages (the ICD-10-CM search as you type) is not a page.
    expected = {e for e in _pages_for(app, user.role) if _is_page(client.get(adapter.build(e)))}
    assert {"web.dashboard", "auth.account"} <= expected
    missing = expected - _reachable(app, client)
    assert not missing, f"{who} cannot reach by links: {sorted(missing)}"
    client.post("/logout", data={"csrf_token": csrf_token_from(client.get("/dashboard").get_data(as_text=True))})


def _is_page(response) -> bool:
    return response.status_code < 400 and "html" in response.content_type


def test_every_public_page_is_within_two_clicks_of_the_home_page(app, client):
    missing = _pages_for(app, None) - _reachable(app, client, start="/")
    assert not missing, f"visitors cannot reach by links: {sorted(missing)}"
