"""One safe-CSV writer for every export: formula-like text is quoted, and no module writes CSV itself."""

from __future__ import annotations

import csv
import io
import pathlib

import pytest

from app.csv_safe import safe_cell, to_csv

APP = pathlib.Path(__file__).resolve().parents[2] / "app"


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@A1", "\t=1", "\r=1", '=HYPERLINK("http://x")'])
def test_formula_like_text_is_quoted(text):
    assert safe_cell(text) == "'" + text
    (row,) = csv.reader(io.StringIO(to_csv([[text]])))
    assert row == ["'" + text]


def test_plain_cells_numbers_and_none_pass_through():
    assert to_csv([["fine", 40, -3, None, "a-b"]]) == "fine,40,-3,,a-b\r\n"


def test_every_csv_export_goes_through_the_shared_writer():
    writers = [
        str(path.relative_to(APP))
        for path in APP.rglob("*.py")
        if path.name != "csv_safe.py" and ("csv.writer" in path.read_text() or "csv.DictWriter" in path.read_text())
    ]
    assert writers == [], f"write CSV with app.csv_safe, not csv.writer: {writers}"
