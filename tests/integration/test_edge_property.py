"""Property: no input at a type or calendar boundary makes any route answer 5xx, for any role.

Every rule of the URL map (API and pages, every verb) is driven as five roles -- anonymous, a patient, a
prescriber on that patient's care team, a billing admin and an admin -- with hypothesis-drawn values
at the boundaries: integers at 0, -1, 2**31, 2**63, 2**64 and beyond; dates at 0001-01-01 and
9999-12-31 and just outside the sane range; instants with extreme offsets; NUL, very long strings,
non-ASCII digits and other unicode; JSON of the wrong type. Path arguments mix the world's real ids
(so the request reaches the code behind the access check) with boundary ids.

Which names a route reads is taken from the code itself: the ``request.args``/``form``/``values``
names in the view's module, the ``name=`` attributes of the templates, and the API's declared query
and body models -- a parameter added later is driven too. Page forms carry the role's CSRF token.

Every request runs in a savepoint that is rolled back (and the browser's cookies are restored), so each
example sees the same world. Bounded for CI: a few examples per route and role, derandomized (the same
examples every run), no shrinking; about half a minute per database.
"""

from __future__ import annotations

import inspect
import re
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from app.api.endpoint import REGISTRY
from tests.integration.actors import (
    ADMIN,
    ANONYMOUS,
    BILLING_ADMIN,
    PATIENT_A,
    PRESCRIBER_ON,
    World,
    build_world,
    rolled_back,
    sign_in,
    test_connection,
)
from tests.integration.conftest import csrf_token_from

ROLES = (ANONYMOUS, PATIENT_A, PRESCRIBER_ON, BILLING_ADMIN, ADMIN)
EXAMPLES = 4  # per route, verb and role, on top of the two explicit extremes
APP_DIR = Path(__file__).resolve().parents[2] / "app"

# --- boundary values ------------------------------------------------------------------------------------

BIG_INTS = [0, -1, 1, 2**31 - 1, 2**31, 2**63 - 1, 2**63, 2**64, 10**30, -(2**63) - 1]
DATES = ["0001-01-01", "9999-12-31", "9999-12-25", "1899-12-31", "1900-01-01", "2999-12-31", "3000-01-01",
         "2027-02-30", "0000-00-00", "2027-13-01", "+10000-01-01", "2027-03"]  # fmt: skip
INSTANTS = ["9999-12-31T23:59:00Z", "9999-12-31T23:59:59.999999+00:00", "0001-01-01T00:00:00+05:00",
            "0001-01-01T00:00:00-05:00", "2999-12-31T23:59:00-12:00", "1900-01-01T00:00:00+14:00",
            "2027-03-14T02:30:00", "2027-06-01T10:00:00+24:00", "2027-06-01T10:00:00+23:59"]  # fmt: skip
STRINGS = ["", " ", "\x00", "a\x00b", "x" * 5000, "9" * 5000, "9" * 25, "²", "١٢٣", "٣", "🙂" * 200, "\u202e",
           "NaN", "Infinity", "-0", "1e309", " 1", "0x10", "true", "null", "[]", "' OR 1=1 --", "%00",
           "../../etc"]  # fmt: skip
INT_TEXT = [str(n) for n in BIG_INTS] + ["9" * 5000, "²", "١٢", "-", "1.5", "1e3"]
JSON_ODD: list[Any] = [True, False, None, [], {}, 1.5, 1e308, -0.0, [0] * 9, ["2"] * 9, {"$ne": None}, [[[]]]]

DATE_NAME = re.compile(r"date|day|week|month|since|until|from|^to$|due", re.I)
INSTANT_NAME = re.compile(r"start|end|_at$|time", re.I)
INT_NAME = re.compile(r"id$|^page$|clinician|patient|actor|reschedule|index|version|minutes|amount|^q\d$|count|gap"
                      r"|step|notice|horizon|max_per_day|weekday|code|otp", re.I)  # fmt: skip


def _text_for(name: str, real: list[str]) -> st.SearchStrategy[str]:
    pool = list(STRINGS)
    if DATE_NAME.search(name):
        pool = DATES + pool[:6]
    elif INSTANT_NAME.search(name):
        pool = INSTANTS + DATES[:2] + pool[:6]
    elif INT_NAME.search(name):
        pool = INT_TEXT + pool[:6]
    return st.sampled_from(real + pool) if real else st.sampled_from(pool)


def _json_for(name: str, real: list[Any]) -> st.SearchStrategy[Any]:
    pool: list[Any] = list(JSON_ODD) + [s for s in STRINGS if s][:8]
    if DATE_NAME.search(name):
        pool = DATES + pool
    elif INSTANT_NAME.search(name):
        pool = INSTANTS + pool
    elif INT_NAME.search(name) or name == "answers":
        pool = BIG_INTS + [str(n) for n in BIG_INTS[:4]] + pool
    if name in ("weekly", "overrides", "goals", "problems", "interventions", "answers", "licensed_states"):
        pool += [[{"date": d, "intervals": []} for d in DATES[:2]], [{"text": "x", "owner_id": 2**63}],
                 [{"weekday": 2**63, "start": "00:00", "end": "24:00"}], [2**63] * 9, [-1] * 7]  # fmt: skip
    return st.sampled_from(real + pool)


def _extreme_text(name: str, high: bool) -> str:
    if DATE_NAME.search(name):
        return "9999-12-31" if high else "0001-01-01"
    if INSTANT_NAME.search(name):
        return "9999-12-31T23:59:00Z" if high else "0001-01-01T00:00:00+05:00"
    if INT_NAME.search(name):
        return str(2**64) if high else "-" + str(2**63)
    return "x" * 5000 if high else "\u202e١٢"


def _extreme_json(name: str, high: bool) -> Any:
    if DATE_NAME.search(name) or INSTANT_NAME.search(name):
        return _extreme_text(name, high)
    if INT_NAME.search(name):
        return 2**64 if high else -(2**63) - 1
    return "x" * 5000 if high else [None]


# --- which names each route reads ----------------------------------------------------------------------

READS = re.compile(r"""(?:args|form|values|source)\.get(?:list)?\(\s*f?["']([A-Za-z_][\w]*)["']""")
TEMPLATE_NAMES = re.compile(r"""name="([A-Za-z_][\w]*)\"""")


def _names_of(app: Flask, endpoint: str) -> list[str]:
    view = app.view_functions[endpoint]
    fn = inspect.unwrap(view)
    module = sys.modules[fn.__module__]
    names = set(READS.findall(inspect.getsource(module)))
    spec = next((s for s in REGISTRY if s.endpoint == endpoint), None)
    if spec is not None:
        for model in (spec.query, spec.body):
            if model is not None:
                names |= {f.alias or n for n, f in model.model_fields.items()}
    return sorted(names)


# --- the world and its real values ---------------------------------------------------------------------


@pytest.fixture
def world(app, make_patient, make_clinician, make_staff) -> World:
    w = build_world(make_patient, make_clinician, make_staff)
    for actor in ROLES:
        browser = sign_in(app, w.users.get(actor))
        w.pages[actor] = browser
        w.csrf[actor] = csrf_token_from(
            browser.get("/login" if actor == ANONYMOUS else "/account").get_data(as_text=True)
        )
    return w


def _real(world: World) -> dict[str, list[Any]]:
    a = world.appointments["a_prescriber"]
    ids = [world.a.id, world.b.id, a.id, world.appointments["b"].id, world.meds["a"], world.users[PRESCRIBER_ON].id,
           world.extra["task_a"], world.extra["minutes_a"], world.extra["membership_a"]]  # fmt: skip
    return {
        "int": [*ids, 0, 2**31 - 1],
        "str": [
            a.visit_token,
            "evt_none",
            "therapy_session",
            "initial_consultation",
            "PHQ-9",
            "GAD-7",
            "monthly",
            world.open_slot["a_prescriber"],
            world.a.email,
            "America/New_York",
            "NY",
        ],
    }


def _real_args(world: World) -> dict[str, Any]:
    """A real value for each path argument: the extremes then reach the code behind the lookup."""
    a = world.appointments["a_prescriber"]
    return {"patient_id": world.a.id, "appointment_id": a.id, "med_id": world.meds["a"],
            "clinician_id": world.users[PRESCRIBER_ON].id, "task_id": world.extra["task_a"],
            "entry_id": world.extra["minutes_a"], "membership_id": world.extra["membership_a"], "index": 0,
            "user_id": world.a.id, "visit_token": a.visit_token, "token": "x", "event_id": "evt_none"}  # fmt: skip


ARG = re.compile(r"<(?:(\w+):)?(\w+)>")


def _path_strategy(rule: str, real: dict[str, list[Any]]) -> st.SearchStrategy[str]:
    parts: list[Any] = []
    last = 0
    for match in ARG.finditer(rule):
        parts.append(st.just(rule[last : match.start()]))
        if match.group(1) == "int":
            parts.append(st.sampled_from(real["int"]).map(str))
        else:
            parts.append(st.sampled_from(real["str"] + STRINGS[1:] + ["x" * 300]).map(lambda s: quote(s, safe="")))
        last = match.end()
    parts.append(st.just(rule[last:]))
    return st.tuples(*parts).map("".join)


# --- sending -------------------------------------------------------------------------------------------


def _send(app: Flask, world: World, actor: str, method: str, path: str, query: dict, body: dict) -> Any:
    if path.startswith("/api/"):
        client = app.test_client()
        kwargs: dict[str, Any] = {"headers": world.api[actor], "query_string": query}
        if method != "GET":
            kwargs["json"] = body
        return client.open(path, method=method, **kwargs)
    browser = world.pages[actor]
    cookies = dict(browser._cookies)  # a sign-out inside the savepoint must not sign the browser out after it
    try:
        if method == "GET":
            return browser.get(path, query_string=query)
        form = {k: v if isinstance(v, str) else str(v) for k, v in body.items()}
        return browser.open(path, method=method, query_string=query, data={**form, "csrf_token": world.csrf[actor]})
    finally:
        browser._cookies.clear()
        browser._cookies.update(cookies)


def _routes(app: Flask) -> list[tuple[str, str, str]]:
    out = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            out.append((method, rule.rule, rule.endpoint))
    return sorted(out)


class _Drive:
    """One role's walk over every route: collects the 5xx answers and counts the requests."""

    def __init__(self, app: Flask, world: World, actor: str) -> None:
        self.app, self.world, self.actor = app, world, actor
        self.connection = test_connection()
        self.failures: list[str] = []
        self.sent = 0
        self.statuses: Counter[int] = Counter()

    def runner(self, method: str):
        def one(case: tuple[str, dict, dict]) -> None:
            path, query, body = case
            with rolled_back(self.connection):
                response = _send(self.app, self.world, self.actor, method, path, query, body)
            self.sent += 1
            self.statuses[response.status_code] += 1
            if response.status_code >= 500:
                shown = {k: (v[:30] + "...") if isinstance(v, str) and len(v) > 30 else v for k, v in query.items()}
                self.failures.append(f"{response.status_code} {method} {path[:80]} as {self.actor}: query={shown} "
                                     f"body={_short(body)} {response.get_data(as_text=True)[:120]!r}")  # fmt: skip

        return one


def _short(body: dict) -> dict:
    return {k: (v[:30] + "...") if isinstance(v, str) and len(v) > 30 else v for k, v in body.items()}


def _drive(app: Flask, world: World, actor: str) -> _Drive:
    drive = _Drive(app, world, actor)
    real, real_args = _real(world), _real_args(world)
    text_real = [str(v) for v in real["int"][:3]] + real["str"]
    json_real = real["int"][:3] + real["str"]
    for method, rule, endpoint in _routes(app):
        api = rule.startswith("/api/")
        names = (
            _names_of(app, endpoint) if api else sorted(set(_names_of(app, endpoint)) | _template_names(app, endpoint))
        )
        query_names = names if method == "GET" or not api else [n for n in names if _is_query(endpoint, n)]
        body_names = [] if method == "GET" else [n for n in names if n not in query_names or not api]
        body_values = {n: (_json_for(n, json_real) if api else _text_for(n, text_real)) for n in body_names}
        strategy = st.tuples(
            _path_strategy(rule, real),
            st.fixed_dictionaries({}, optional={n: _text_for(n, text_real) for n in query_names}),
            st.fixed_dictionaries({}, optional=body_values),
        )
        real_path = ARG.sub(lambda m: quote(str(real_args.get(m.group(2), 2**31 - 1)), safe=""), rule)
        test = given(case=strategy)(drive.runner(method))
        for high in (True, False):
            query = {n: _extreme_text(n, high) for n in query_names}
            body = {n: (_extreme_json(n, high) if api else _extreme_text(n, high)) for n in body_names}
            test = example(case=(real_path, query, body))(test)
        settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
                 phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))(test)()  # fmt: skip
    return drive


def _is_query(endpoint: str, name: str) -> bool:
    spec = next((s for s in REGISTRY if s.endpoint == endpoint), None)
    return (
        spec is not None
        and spec.query is not None
        and name in {f.alias or n for n, f in spec.query.model_fields.items()}
    )


def _template_names(app: Flask, endpoint: str) -> set[str]:
    """``name=`` attributes of the templates the view's module renders (and the macros they import)."""
    fn = inspect.unwrap(app.view_functions[endpoint])
    source = inspect.getsource(sys.modules[fn.__module__])
    names: set[str] = set()
    for template in set(re.findall(r"""["']([\w/]+\.html)["']""", source)):
        path = APP_DIR / "templates" / template
        if path.exists():
            names |= set(TEMPLATE_NAMES.findall(path.read_text()))
    return names - {"csrf_token"}


@pytest.mark.parametrize("actor", ROLES)
def test_no_boundary_input_gives_a_5xx(app, world, actor):
    started = time.monotonic()
    drive = _drive(app, world, actor)
    failures, sent = drive.failures, drive.sent
    print(f"{actor}: {sent} requests in {time.monotonic() - started:.1f}s, statuses {sorted(drive.statuses.items())}")
    assert failures == [], "\n".join(failures[:40])
    # The walk reaches the code behind the gates, not only the login redirect and the 404s.
    assert drive.statuses[200] >= 40, drive.statuses
