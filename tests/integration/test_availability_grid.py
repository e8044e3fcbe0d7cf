"""The availability editor's weekly grid and date overrides: saved through the service, each mistake
told next to its field in plain words, nothing saved while any is left; the typed form stays as a fallback."""

from __future__ import annotations

import re

from app.booking import service
from tests.integration.conftest import csrf_token_from

SETTINGS = {"timezone": "America/Chicago", "gap_minutes": "0", "slot_step_minutes": "30", "min_notice_minutes": "240",
            "horizon_days": "60", "max_per_day": ""}  # fmt: skip


def _form(page: str, **fields: str) -> dict[str, str]:
    return {"csrf_token": csrf_token_from(page), "editor": "grid", **SETTINGS, **fields}


def _error(html: str, field: str) -> str:
    return re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', html).group(1)


def test_grid_saves_weekly_ranges_and_a_date_override(client, make_clinician, browser_login):
    clinician = make_clinician("PsyD", timezone="America/Chicago")
    browser_login(clinician)
    page = client.get("/schedule/availability").get_data(as_text=True)
    assert 'name="editor" value="grid"' in page and "Monday" in page and "Use the typed form" in page
    form = _form(page, **{"w0-0-start": "13:00", "w0-0-end": "17:00", "w0-1-start": "09:00", "w0-1-end": "12:00",
                          "w4-0-start": "20:00", "w4-0-end": "00:00",
                          "o0-date": "2030-01-02", "o0-off": "yes", "o0-start": "", "o0-end": "",
                          "o1-date": "2030-01-03", "o1-start": "12:00", "o1-end": "16:00",
                          "o2-date": "", "o2-start": "", "o2-end": ""})  # fmt: skip
    saved = client.post("/schedule/availability", data=form)
    assert saved.status_code == 302
    doc = service.availability_of(clinician).document()
    assert doc["weekly"] == [
        {"weekday": 0, "start": "13:00", "end": "17:00"},
        {"weekday": 0, "start": "09:00", "end": "12:00"},
        {"weekday": 4, "start": "20:00", "end": "24:00"},
    ]
    assert doc["overrides"] == [
        {"date": "2030-01-02", "intervals": []},
        {"date": "2030-01-03", "intervals": [{"start": "12:00", "end": "16:00"}]},
    ]
    again = client.get("/schedule/availability").get_data(as_text=True)  # shown back as rows, sorted
    assert 'id="w0-0-start" name="w0-0-start" type="time" value="09:00"' in again
    assert (
        'name="o0-date" type="date" value="2030-01-02"' in again
        and 'id="w4-0-end" name="w4-0-end" type="time" value="00:00"' in again
    )


def test_overlap_and_end_before_start_are_told_next_to_the_field_and_nothing_is_saved(
    client, make_clinician, browser_login
):
    clinician = make_clinician("PsyD", timezone="America/Chicago")
    browser_login(clinician)
    page = client.get("/schedule/availability").get_data(as_text=True)
    form = _form(page, **{"w0-0-start": "09:00", "w0-0-end": "17:00", "w0-1-start": "12:00", "w0-1-end": "13:00",
                          "w2-0-start": "15:00", "w2-0-end": "09:00",
                          "o0-date": "2030-01-03", "o0-start": "10:00", "o0-end": "12:00",
                          "o1-date": "2030-01-03", "o1-start": "11:00", "o1-end": "14:00",
                          "o2-date": "", "o2-start": "10:00", "o2-end": "11:00"})  # fmt: skip
    bad = client.post("/schedule/availability", data=form)
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "Nothing was saved" in html
    assert _error(html, "w0-1-start") == "This range overlaps 09:00–17:00 on Monday. Change or remove one of them."
    assert _error(html, "w2-0-end") == "This range ends (09:00) before it starts (15:00). Use a later end time."
    assert "overlaps 10:00–12:00 on January 3, 2030" in _error(html, "o1-start")
    assert _error(html, "o2-date") == "Pick the date this override is for."
    assert 'value="15:00"' in html  # what was typed is kept
    assert service.availability_of(clinician).document()["weekly"] == []


def test_add_and_remove_rows_without_saving(client, make_clinician, browser_login):
    clinician = make_clinician("PsyD", timezone="America/Chicago")
    browser_login(clinician)
    page = client.get("/schedule/availability").get_data(as_text=True)
    added = client.post("/schedule/availability", data=_form(page, action="add:w1"))
    html = added.get_data(as_text=True)
    assert added.status_code == 200 and 'name="w1-0-start"' in html and "Not saved yet" in html
    form = _form(page, action="remove:w1-0", **{"w1-0-start": "09:00", "w1-0-end": "10:00", "w1-1-start": "11:00",
                                                  "w1-1-end": "12:00"})  # fmt: skip
    html = client.post("/schedule/availability", data=form).get_data(as_text=True)
    assert 'name="w1-0-start" type="time" value="11:00"' in html and 'name="w1-1-start"' not in html
    html = client.post("/schedule/availability", data=_form(page, action="add:o")).get_data(as_text=True)
    assert 'name="o0-date" type="date"' in html
    assert service.availability_of(clinician).document()["weekly"] == []


def test_the_grid_saves_with_the_apis_validation(client, make_clinician, browser_login):
    clinician = make_clinician("PsyD", timezone="America/Chicago")
    browser_login(clinician)
    page = client.get("/schedule/availability").get_data(as_text=True)
    bad = client.post(
        "/schedule/availability", data={**_form(page), "timezone": "Mars/Olympus", "slot_step_minutes": "0"}
    )
    assert bad.status_code == 422 and "has-error" in bad.get_data(as_text=True)


def test_the_typed_form_stays_as_a_fallback(client, make_clinician, browser_login):
    clinician = make_clinician("PsyD", timezone="America/Chicago")
    browser_login(clinician)
    page = client.get("/schedule/availability/text").get_data(as_text=True)
    assert 'id="day0"' in page and "weekly grid editor" in page
    form = {"csrf_token": csrf_token_from(page), **SETTINGS, "day3": "08:00-10:00", "overrides": ""}
    assert client.post("/schedule/availability", data=form).status_code == 302
    assert service.availability_of(clinician).document()["weekly"] == [{"weekday": 3, "start": "08:00", "end": "10:00"}]


def test_only_clinicians_edit_availability(client, make_patient, browser_login):
    browser_login(make_patient())
    assert client.get("/schedule/availability").status_code == 403
    assert client.get("/schedule/availability/text").status_code == 403
