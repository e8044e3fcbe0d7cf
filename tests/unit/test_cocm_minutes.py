"""CoCM bands from settings, month arithmetic and CSV cell safety for the minutes report (no database)."""

from __future__ import annotations

from datetime import date

import pytest

from app import csv_safe
from app.care_team import fhir, minutes
from app.care_team.measures import CocmBands
from app.settings import Settings, SettingsError


def test_bands_default_to_the_reference_table_and_can_be_set():
    assert CocmBands(**Settings.load(environ={}).cocm_band_minutes()) == CocmBands()
    custom = CocmBands(
        **Settings.load({"COCM_G2214_FROM": "20", "COCM_ADDON_STEP": "20"}, environ={}).cocm_band_minutes()
    )
    assert custom.g2214_from == 20 and custom.addon_step == 20 and custom.initial_base_from == 36


@pytest.mark.parametrize(
    "overrides",
    [
        {"COCM_LATER_BASE_FROM": "10"},
        {"COCM_INITIAL_ADDON_FROM": "30"},
        {"COCM_ADDON_STEP": "0"},
        {"COCM_G2214_FROM": "x"},
    ],
)
def test_bands_out_of_order_stop_start_up(overrides):
    with pytest.raises(SettingsError, match="COCM"):
        Settings.load(overrides, environ={})


def test_months():
    assert minutes.add_months(date(2026, 12, 1), 1) == date(2027, 1, 1)
    assert minutes.add_months(date(2026, 1, 1), -6) == date(2025, 7, 1)
    assert minutes.parse_month("2026-02", date(2030, 5, 17)) == date(2026, 2, 1)
    for bad in ("", None, "2026-13", "26-1", "x", "2026-02-01", "9999-01"):
        assert minutes.parse_month(bad, date(2030, 5, 17)) == date(2030, 5, 1)


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@A1", "\t=1", "\r=1"])
def test_formula_like_cells_are_quoted(text):
    assert csv_safe.safe_cell(text) == "'" + text


def test_csv_quotes_and_keeps_plain_cells():
    body = csv_safe.to_csv([["=cmd|' /C calc'!A0", "ok", 40]])
    assert body == "'=cmd|' /C calc'!A0,ok,40\r\n"


def test_fhir_status_maps_stay_inside_the_value_sets():
    for ours, code in fhir.MEDICATION_STATUS.items():
        assert fhir.medication_status(ours) == code
    for ours in fhir.GOAL_STATUS:
        assert fhir.goal_status(ours)[0] in fhir.VALUE_SETS[("Goal", "lifecycleStatus")]
