"""Every page of every role at 375 px (issue 17): no page is wider than the screen.

The pages come from the app's URL map (every GET route but the API and static files), so a page added
later is checked without touching this file; path parameters are filled from the demo clinic's data
(several candidates each: a role's page is visited with the first one it may see). For each role a
route is either visited (an HTML page, measured: ``scrollWidth <= innerWidth``) or recorded as not
visitable by that role with the answer it got (403, 404, a redirect). The test fails when

* a page is wider than the screen (a full-page screenshot of it is kept),
* a route has a path parameter the test cannot fill (it does not know the route: add its candidates
  to ``candidates()`` below), or
* a page route was visited by no role at all, unless ``NOT_A_PAGE`` says why (nothing silently skipped).

Screenshots (the top of each page) and ``report.json`` (every route × role and what happened) go to
test-artifacts/e2e/375/.
"""

from __future__ import annotations

import json
import re
import secrets
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Browser
from sqlalchemy import select

from app.accounts import invitations
from app.accounts.invitation import Invitation
from app.accounts.service import find_by_email
from app.auth import recovery
from app.auth.password_reset import PasswordResetToken
from app.billing.demo.provider import UPDATE_CARD_FLOW
from app.booking.appointment import Appointment, AppointmentStatus
from app.demo.seed import DEMO_PASSWORD, email_for
from app.extensions import db
from tests.e2e.conftest import ARTIFACTS, LIVE_APPS, sign_in

WIDTH, HEIGHT = 375, 740
OUT = ARTIFACTS / "375"
ROLES = {  # role → the demo account that plays it (Alex's care team: Dr. Chen and Marcus Green)
    "anonymous": None,
    "patient": "patient",
    "patient (member)": "patient3",  # a paid membership: the demo card portal
    "prescriber": "psychiatrist",
    "therapist": "lmhc",
    "billing admin": "billing",
    "admin": "admin",
}
# GET routes that are no page to look at, and why (they are still requested, never measured).
NOT_A_PAGE = {
    "audit.admin_audit_export": "a CSV download",
    "billing.subscribers_csv": "a CSV download",
    "care.caseload_minutes_csv": "a CSV download",
    "care.minutes_csv": "a CSV download",
    "booking.calendar_feed": "an iCalendar feed for calendar apps",
    "accounts.onboarding_done": "a redirect to the care-finder",
    "billing.demo_checkout": "opened by 'Start membership' with a one-time checkout token",
    "billing.success": "where Stripe Checkout returns, with its session id",
    "care.icd10_lookup": "JSON for the chart's code search as you type",
}
# Pages reached with a query string, found as the first link to them on another page the role sees.
LINKED_FROM = {"booking.confirm": "/clinicians/{clinician_id}"}
# Pages that need a query string to be themselves (else they redirect): tried first.
QUERIES = {"billing.demo_portal": f"?flow={UPDATE_CARD_FLOW}"}
WIDTH_JS = "() => [document.documentElement.scrollWidth, window.innerWidth]"


def candidates(base: str) -> dict[str, list[str]]:
    """Values for each path parameter, from the demo data: the first one a role may see is used."""
    app = LIVE_APPS[base]
    with app.app_context():
        alex = find_by_email(email_for("patient"))
        chen = find_by_email(email_for("psychiatrist"))
        green = find_by_email(email_for("lmhc"))
        now = datetime.now(UTC)
        visits = list(db.session.scalars(select(Appointment).where(Appointment.patient_id == alex.id)))
        booked = sorted((a for a in visits if a.status == AppointmentStatus.BOOKED and a.start_at > now),
                        key=lambda a: a.start_at)  # fmt: skip
        past = sorted((a for a in visits if a.start_at < now), key=lambda a: a.start_at, reverse=True)
        ordered = booked[:1] + [a for a in past if a.clinician_id == chen.id][:1]
        ordered += [a for a in booked if a.clinician_id == green.id][:1] + [
            a for a in past if a.clinician_id == green.id
        ][:1]
        tokens = [a.visit_token for a in booked if a.visit_token]
        values = {
            "patient_id": [str(alex.id)],
            "clinician_id": [str(chen.id), str(green.id)],
            "appointment_id": [str(a.id) for a in ordered],
            "visit_token": tokens[:1],
            "user_id": [str(alex.id)],
        }
        # a live reset link; the invalid-link pages (a reset link, a calendar feed) are pages too
        values["token"] = [
            _reset_link_for(find_by_email(email_for("patient2")).id),
            _invitation_link_for("narrow-screens@demo-clinic.example.com"),
            "not-a-real-token",
        ]
        db.session.remove()
    return values


def _reset_link_for(user_id: int) -> str:
    """A password-reset link's token, as the e-mailed link carries it (only its digest is stored)."""
    raw = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    db.session.add(PasswordResetToken(user_id=user_id, token_hash=recovery._digest(raw), created_at=now,
                                      expires_at=now + timedelta(hours=2)))  # fmt: skip
    db.session.commit()
    return raw


def _invitation_link_for(email: str) -> str:
    """A pending staff invitation's token, as the e-mailed link carries it (only its digest is stored)."""
    raw = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    db.session.add(Invitation(email=email, name="Narrow Screens", role="billing_admin", created_at=now,
                              token_hash=invitations._digest(raw), expires_at=now + timedelta(hours=72)))  # fmt: skip
    db.session.commit()
    return raw


def _routes(base: str) -> list[tuple[str, str]]:
    app = LIVE_APPS[base]
    rules = [
        r for r in app.url_map.iter_rules()
        if "GET" in (r.methods or ()) and r.endpoint != "static" and not r.rule.startswith("/api/")
    ]  # fmt: skip
    return sorted((r.endpoint, r.rule) for r in rules)


def _fill(rule: str, values: dict[str, list[str]]) -> list[str] | None:
    """Every URL for this rule from the candidates (one parameter varied at a time), None if a
    parameter is unknown."""
    names = re.findall(r"<(?:[^:<>]+:)?([^<>]+)>", rule)
    if any(n not in values or not values[n] for n in names):
        return None
    urls = []
    for n in names or [None]:
        for value in values[n] if n else [""]:
            chosen = {m: (value if m == n else values[m][0]) for m in names}
            urls.append(re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m, c=chosen: c[m.group(1)], rule))
    return list(dict.fromkeys(urls))


def test_every_page_of_every_role_fits_375_px(browser: Browser, live_server: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    values = candidates(live_server)
    routes = _routes(live_server)
    unknown = [rule for _, rule in routes if _fill(rule, values) is None]
    report: dict[str, dict[str, str]] = {}
    too_wide: list[str] = []
    visited_by: dict[str, list[str]] = {}
    for role, handle in ROLES.items():
        context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT}, timezone_id="America/New_York")
        page = context.new_page()
        page.set_default_timeout(15_000)
        if handle:
            sign_in(page, live_server, email_for(handle), DEMO_PASSWORD)
        linked = {}
        for endpoint, source in LINKED_FROM.items():
            page.goto(live_server + source.format(**{k: v[0] for k, v in values.items()}))
            prefix = re.sub(r"<[^>]+>.*", "", dict(routes)[endpoint])
            link = page.locator(f'a[href^="{prefix}"]').first
            linked[endpoint] = [link.get_attribute("href") or ""] if link.count() else []
        for endpoint, rule in routes:
            filled = _fill(rule, values) or []
            urls = linked.get(endpoint, []) + [u + QUERIES[endpoint] for u in filled if endpoint in QUERIES] + filled
            outcome = "unknown parameter"
            for url in urls:
                answer = page.request.get(live_server + url, max_redirects=0)
                kind = answer.headers.get("content-type", "")
                if answer.status in (301, 302, 303):
                    outcome = f"{answer.status} to {answer.headers.get('location', '?').replace(live_server, '')}"
                    continue
                if "text/html" not in kind:
                    outcome = f"{answer.status} {kind.split(';')[0]}"
                    if endpoint in NOT_A_PAGE:
                        break
                    continue
                page.goto(live_server + url)
                scroll, inner = page.evaluate(WIDTH_JS)
                name = f"{role.replace(' ', '-')}--{endpoint}-{answer.status}"
                page.screenshot(path=str(OUT / f"{name}.png"))
                if scroll > inner:
                    page.screenshot(path=str(OUT / f"{name}-too-wide.png"), full_page=True)
                    too_wide.append(f"{role} {url}: {scroll} px > {inner} px")
                outcome = f"{answer.status} page, {scroll} px wide"
                if answer.status == 200:
                    visited_by.setdefault(endpoint, []).append(role)
                    break
            report.setdefault(f"{endpoint} {rule}", {})[role] = outcome
        context.close()
    (OUT / "report.json").write_text(json.dumps(report, indent=1, sort_keys=True))
    never = [e for e, _ in routes if e not in visited_by and e not in NOT_A_PAGE]
    assert unknown == [], f"routes with a path parameter this test cannot fill (add candidates): {unknown}"
    assert too_wide == [], "\n".join(too_wide)
    assert never == [], f"page routes no role could visit (see {OUT / 'report.json'}): {never}"
