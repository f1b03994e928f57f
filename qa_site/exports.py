"""Spreadsheet downloads (CSV and XLSX) that are safe to open.

Every CSV or XLSX file the site serves is written here: the console's reports, the expert's fee statements, the
network admin's invoices and value report, and the console's list exports (Wagtail's spreadsheet export, through
``FormulaGuardedExportMixin``). A leaf: it imports no app.

- **Formulas.** Text that a spreadsheet would run as a formula (a cell beginning with ``=``, ``+``, ``-``, ``@``, a
  tab or a carriage return: a question title, a search query, a network's name are typed by people) is written
  with an apostrophe first in CSV, so it is shown as text. In XLSX each cell has a type: text is stored as text,
  never as a formula, so it keeps its characters as typed. Numbers and dates are written as they are.
- **Encoding.** CSV is UTF-8 without a byte-order mark, as the site's CSV files have always been.
- **File names** are reduced to letters, digits, dots, hyphens and underscores, so a name built from a network's
  slug or an invoice number cannot break the ``Content-Disposition`` header.
"""

import csv
import datetime as dt
import io
import re
from decimal import Decimal

from django.http import HttpResponse
from django.utils import timezone
from django.utils.encoding import force_str
from wagtail.admin.views.mixins import SpreadsheetExportMixin

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CSV, XLSX = "csv", "xlsx"
FORMATS = (CSV, XLSX)
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_UNSAFE_IN_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


def guard(value):
    """A CSV cell: empty for None; text that a spreadsheet would run as a formula gets an apostrophe first."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def safe_filename(name, default="export"):
    """``name`` with anything but letters, digits, ``.``, ``-`` and ``_`` replaced by a hyphen."""
    cleaned = _UNSAFE_IN_FILENAME.sub("-", str(name)).strip(".-") or default
    return cleaned[:150]


def _attachment(response, filename):
    response["Content-Disposition"] = f'attachment; filename="{safe_filename(filename)}"'
    return response


def csv_response(filename, header, rows):
    """A CSV download: ``header``, then ``rows`` (iterables of cells), each cell through ``guard``."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    writer = csv.writer(response)
    writer.writerow([guard(value) for value in header])
    for row in rows:
        writer.writerow([guard(value) for value in row])
    return _attachment(response, filename)


def xlsx_cells(worksheet, row):
    """Write-only cells for one row: text always typed as text (openpyxl would take "=…" for a formula)."""
    from openpyxl.cell import WriteOnlyCell

    cells = []
    for value in row:
        cell = WriteOnlyCell(worksheet, "" if value is None else value)
        if cell.data_type == "f":
            cell.data_type = "s"
        cells.append(cell)
    return cells


def xlsx_response(filename, header, rows, sheet_title="Sheet1"):
    """An XLSX download with one sheet: ``header``, then ``rows``."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(title=sheet_title[:31])
    worksheet.append(xlsx_cells(worksheet, header))
    for row in rows:
        worksheet.append(xlsx_cells(worksheet, [_xlsx_value(value) for value in row]))
    output = io.BytesIO()
    workbook.save(output)
    response = HttpResponse(output.getvalue(), content_type=XLSX_CONTENT_TYPE)
    return _attachment(response, filename)


def _xlsx_value(value):
    """Values openpyxl cannot write (lazy strings, model instances) as text; numbers and dates as they are, times of
    day in the site's time zone (Excel has no time zones)."""
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        return timezone.localtime(value).replace(tzinfo=None)
    if value is None or isinstance(value, (str, int, float, Decimal, dt.date, dt.time)):
        return value
    return force_str(value)


def spreadsheet_response(export_format, basename, header, rows, sheet_title="Sheet1"):
    """``basename``.csv or ``basename``.xlsx, as ``export_format`` says (one of ``FORMATS``)."""
    if export_format == XLSX:
        return xlsx_response(f"{basename}.xlsx", header, rows, sheet_title=sheet_title)
    if export_format == CSV:
        return csv_response(f"{basename}.csv", header, rows)
    raise ValueError(f"Unknown spreadsheet format: {export_format!r}")


# For a Wagtail listing view that is not ours (the snippets'): its ``custom_value_preprocess``, with text cells of
# CSV downloads through ``guard``.
GUARDED_VALUE_PREPROCESS = {str: {CSV: guard}, **SpreadsheetExportMixin.custom_value_preprocess}


class FormulaGuardedExportMixin:
    """For views with Wagtail's ``SpreadsheetExportMixin`` (the console's list viewsets): CSV cells through
    ``guard``, times in the site's time zone, a safe file name. Wagtail already writes XLSX text as text, never as
    a formula."""

    def preprocess_field_value(self, field, value, export_format):
        if isinstance(value, dt.datetime) and timezone.is_aware(value):
            value = timezone.localtime(value).replace(tzinfo=None)  # the site's time, as on the screen
        value = super().preprocess_field_value(field, value, export_format)
        if export_format == CSV:
            return guard(value)
        return value

    def get_filename(self):
        return safe_filename(super().get_filename())
