"""The one spreadsheet writer (qa_site/exports.py): formula guarding, file names, CSV and XLSX."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from qa_site import exports


@pytest.mark.parametrize("text", ["=1+1", "+44 20 7946 0000", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_guard_puts_an_apostrophe_before_text_a_spreadsheet_would_run(text):
    assert exports.guard(text) == "'" + text


@pytest.mark.parametrize(
    ("value", "expected"),
    [("Trustees", "Trustees"), ("", ""), (None, ""), (-5, -5), (Decimal("-1.50"), Decimal("-1.50"))],
)
def test_guard_leaves_plain_text_and_numbers_alone(value, expected):
    assert exports.guard(value) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("invoice-INV-0001.csv", "invoice-INV-0001.csv"),
        ('a"b\r\nContent-Type: x.csv', "a-b-Content-Type-x.csv"),
        ("../../etc/passwd", "etc-passwd"),
        ("Café réseau.xlsx", "Caf-r-seau.xlsx"),
        ("", "export"),
    ],
)
def test_safe_filename_keeps_letters_digits_dots_hyphens(name, expected):
    assert exports.safe_filename(name) == expected


def test_csv_response_guards_every_cell_and_names_the_file():
    response = exports.csv_response("report 2026.csv", ["Query", "Count"], [["=cmd|' /C calc'!A0", 3], [None, 0]])
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="report-2026.csv"'
    assert list(csv.reader(io.StringIO(response.content.decode("utf-8")))) == [
        ["Query", "Count"],
        ["'=cmd|' /C calc'!A0", "3"],
        ["", "0"],
    ]


def test_csv_response_has_no_byte_order_mark():
    assert exports.csv_response("a.csv", ["Réseau"], []).content == "Réseau\r\n".encode()


def test_xlsx_response_stores_text_as_text_never_as_a_formula():
    when = dt.datetime(2026, 3, 3, 10, 30, tzinfo=dt.UTC)
    response = exports.xlsx_response(
        "gaps.xlsx", ["Query", "Count", "Amount", "When"], [["=1+1", 4, Decimal("12.50"), when], [None, 0, None, None]]
    )
    assert response["Content-Type"] == exports.XLSX_CONTENT_TYPE
    assert response["Content-Disposition"] == 'attachment; filename="gaps.xlsx"'
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows == [
        ["Query", "Count", "Amount", "When"],
        ["=1+1", 4, 12.5, dt.datetime(2026, 3, 3, 10, 30)],
        [None, 0, None, None],
    ]
    assert sheet["A2"].data_type == "s"


def test_spreadsheet_response_refuses_an_unknown_format():
    with pytest.raises(ValueError, match="Unknown spreadsheet format"):
        exports.spreadsheet_response("pdf", "x", ["a"], [])
