"""Report assembly for the coordinator console: SLA compliance for a date range, and expert fees for a month.

The views in ``admin_views.py`` parse the request, then ask here for the numbers, the charts and the CSV files.
Every report is built from a fixed number of queries, however many questions or experts it covers.
"""

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from qa_site import charts
from qa_site.exports import csv_response, spreadsheet_response

from . import fees, stats
from .stats import LONDON

DEFAULT_WEEKS = 26
MAX_RANGE_DAYS = 3 * 366  # longer ranges make charts nobody can read
EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2999, 12, 31)


# --- Date ranges and months --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DateRange:
    """Whole London days from ``start`` to ``end``, both included."""

    start: dt.date
    end: dt.date

    @property
    def bounds(self):
        """[first moment, moment after the last day) as aware datetimes, for ``answered_at__gte/__lt``."""
        return (
            dt.datetime.combine(self.start, dt.time.min, tzinfo=LONDON),
            dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min, tzinfo=LONDON),
        )

    @property
    def slug(self):
        return f"{self.start.isoformat()}-to-{self.end.isoformat()}"


def monday(day):
    return day - dt.timedelta(days=day.weekday())


def default_range(today=None):
    """The last 26 weeks: from the Monday 25 weeks before this week's, to today."""
    today = today or timezone.localdate()
    return DateRange(monday(today) - dt.timedelta(weeks=DEFAULT_WEEKS - 1), today)


def _parse_date(value):
    try:
        day = dt.date.fromisoformat(value.strip())
    except (TypeError, ValueError):
        return None
    return day if EARLIEST <= day <= LATEST else None


def parse_range(params, today=None):
    """(DateRange, error message or "") from GET ``from`` and ``to`` (YYYY-MM-DD); junk gives the default range."""
    default = default_range(today)
    raw_from, raw_to = params.get("from", "").strip(), params.get("to", "").strip()
    if not raw_from and not raw_to:
        return default, ""
    start = _parse_date(raw_from) if raw_from else default.start
    end = _parse_date(raw_to) if raw_to else default.end
    if start is None or end is None:
        return default, "Dates must be real dates written as YYYY-MM-DD: showing the last 26 weeks instead."
    if start > end:
        return default, "The start date is after the end date: showing the last 26 weeks instead."
    if (end - start).days > MAX_RANGE_DAYS:
        return default, "Choose a range of at most three years: showing the last 26 weeks instead."
    return DateRange(start, end), ""


_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def last_month(today=None):
    today = today or timezone.localdate()
    first = today.replace(day=1) - dt.timedelta(days=1)
    return first.year, first.month


def parse_month(value, today=None):
    """((year, month), error message or "") from ``YYYY-MM``; empty or junk gives last month."""
    value = (value or "").strip()
    if not value:
        return last_month(today), ""
    match = _MONTH.match(value)
    if match:
        year, month = int(match[1]), int(match[2])
        if EARLIEST.year <= year <= LATEST.year and 1 <= month <= 12:
            return (year, month), ""
    return last_month(today), "Choose a month written as YYYY-MM: showing last month instead."


def shift_month(year, month, by):
    index = year * 12 + (month - 1) + by
    return index // 12, index % 12 + 1


# --- SLA compliance ----------------------------------------------------------------------------------------------


@dataclass
class Grouping:
    name: str  # the ``export`` value
    title: str
    column: str  # the heading of the label column
    rows: list  # summaries (stats.summarise) with ``label`` added; experts also have ``email``
    charts: list = field(default_factory=list)  # qa_site.charts.Chart


GROUPINGS = ("week", "expert", "topic", "network")


def _weeks(queryset, date_range):
    """Every week of the range, oldest first, including weeks without answers (answered 0)."""
    found = {timezone.localtime(row["key"], LONDON).date(): row for row in stats.by_week(queryset, weeks=None)}
    rows, week = [], monday(date_range.start)
    while week <= date_range.end:
        row = found.get(week) or {"key": week, "answered": 0, "met": 0, "met_percent": None, "median_hours": None}
        rows.append({**row, "key": week, "label": f"w/c {week.day} {week:%b %Y}"})
        week += dt.timedelta(weeks=1)
    return rows


def _experts(queryset):
    rows = stats.by_field(queryset, "assignee_id", "assignee__email")
    users = get_user_model().objects.in_bulk([row["id"] for row in rows if row["id"] is not None])
    for row in rows:
        user = users.get(row["id"])
        row["label"] = user.display_name if user else "(no expert)"
        row["email"] = user.email if user else ""
    return sorted(rows, key=lambda row: (row["id"] is None, row["label"].lower(), row["email"]))


def _by(queryset, field, label_field, missing):
    rows = stats.by_field(queryset, field, label_field)
    for row in rows:
        row["label"] = row["key"] if row["key"] is not None else missing
    return rows


def _charts(grouping):
    """The grouping's charts, one measure each: the % met, and (by week) the number answered, empty weeks as gaps."""
    if not any(row["answered"] for row in grouping.rows):
        return []
    name = grouping.name
    if name == "week":
        labels = [f"{row['key'].day} {row['key']:%b}" for row in grouping.rows]
        common = {"labels": labels, "label_heading": "Week commencing"}
        return [
            charts.Chart(
                name="week-sla",
                title="SLA met by week",
                series={"Met %": [row["met_percent"] for row in grouping.rows]},
                kind="line",
                percent=True,
                unit="% of questions answered",
                **common,
            ),
            charts.Chart(
                name="week-answered",
                title="Questions answered by week",
                series={"Answered": [row["answered"] for row in grouping.rows]},
                unit="questions",
                **common,
            ),
        ]
    return [
        charts.Chart(
            name=f"{name}-sla",
            title=f"SLA met by {name} (met of answered in brackets)",
            labels=[f"{row['label']} ({row['met']}/{row['answered']})" for row in grouping.rows],
            series={"Met %": [row["met_percent"] for row in grouping.rows]},
            percent=True,
            unit="% of questions answered",
            label_heading=grouping.column,
        )
    ]


def compliance(date_range, *, only=None, with_charts=True):
    """{"total": summary, "groupings": [Grouping]} for questions answered within ``date_range``.

    ``only``: build just that grouping (for a CSV export).
    """
    start, end = date_range.bounds
    queryset = stats.answered().filter(answered_at__gte=start, answered_at__lt=end)
    builders = {
        "week": ("By week", "Week", lambda: _weeks(queryset, date_range)),
        "expert": ("By expert", "Expert", lambda: _experts(queryset)),
        "topic": ("By topic", "Topic", lambda: _by(queryset, "topic_id", "topic__title", "(no topic)")),
        "network": ("By network", "Network", lambda: _by(queryset, "network_id", "network__name", "(no network)")),
    }
    groupings = []
    for name in [only] if only else GROUPINGS:
        title, column, build = builders[name]
        grouping = Grouping(name=name, title=title, column=column, rows=build())
        if with_charts:
            grouping.charts = _charts(grouping)
        groupings.append(grouping)
    result = {"groupings": groupings}
    if not only:
        total = stats.summarise(
            (None, met, hours) for met, hours in queryset.values_list("sla_met", "working_hours_to_answer")
        )
        result["total"] = total[0] if total else {"answered": 0, "met": 0, "met_percent": None, "median_hours": None}
    return result


# --- CSV (written by qa_site.exports) ----------------------------------------------------------------------------


def compliance_csv(date_range, name):
    grouping = compliance(date_range, only=name, with_charts=False)["groupings"][0]
    numbers = ["Answered", "Met", "Met %", "Median working hours"]

    def figures(row):
        return [row["answered"], row["met"], row["met_percent"], row["median_hours"]]

    if name == "week":
        header = ["Week commencing", *numbers]
        rows = [[row["key"].isoformat(), *figures(row)] for row in grouping.rows]
    elif name == "expert":
        header = ["Expert", "Email", *numbers]
        rows = [[row["label"], row["email"], *figures(row)] for row in grouping.rows]
    else:
        header = [grouping.column, *numbers]
        rows = [[row["label"], *figures(row)] for row in grouping.rows]
    return csv_response(f"sla-compliance-by-{name}-{date_range.slug}.csv", header, rows)


# --- Fees --------------------------------------------------------------------------------------------------------


def fee_statement(year, month):
    """{"experts": [{"user", "lines", "total"}], "lines": [...], "total"} for the month's earning answers."""
    lines = list(fees.finance_rows(year=year, month=month))
    experts = {}  # by user id, in the order finance_rows gives (by name)
    for line in lines:
        expert = experts.setdefault(line.assignee_id, {"user": line.assignee, "lines": [], "total": fees.ZERO})
        expert["lines"].append(line)
        expert["total"] += line.fee
    return {"experts": list(experts.values()), "lines": lines, "total": sum((line.fee for line in lines), fees.ZERO)}


def fees_download(year, month, export_format="csv"):
    """Every earning answer of the month for finance, as CSV or XLSX (``qa_site.exports.FORMATS``)."""
    header = ["Expert", "Email", "Question id", "Title", "Topic", "Network", "Published", "Fee"]
    rows = [
        [
            line.assignee.display_name,
            line.assignee.email,
            line.pk,
            line.title,
            line.topic.title,
            line.network.name,
            line.published_on,
            Decimal(line.fee).quantize(Decimal("0.01")),
        ]
        for line in fees.finance_rows(year=year, month=month)
    ]
    return spreadsheet_response(
        export_format, f"expert-fees-{year:04d}-{month:02d}", header, rows, sheet_title=f"Fees {year:04d}-{month:02d}"
    )
