"""What experts have earned: one fee per published answer, at the rate in force when it was published.

A rate for the answer's topic beats the expert's default rate; among those, the latest whose start date
is on or before the (London) date of publication applies. Only published answers earn: returned, withdrawn
or rejected ones never do. Everything is computed from the record in one query, so a statement is the
same whenever it is printed.
"""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Count, DecimalField, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncDate, TruncMonth

from qa_site.knowledge.models import Question

from .models import FeeRate

LONDON = ZoneInfo("Europe/London")
ZERO = Decimal("0.00")


def _rate():
    rates = (
        FeeRate.objects.filter(expert__user_id=OuterRef("assignee_id"), effective_from__lte=OuterRef("published_on"))
        .filter(Q(topic_id=OuterRef("topic_id")) | Q(topic__isnull=True))
        .order_by(F("topic_id").asc(nulls_last=True), "-effective_from")
        .values("amount")[:1]
    )
    return Coalesce(Subquery(rates, output_field=DecimalField()), Value(ZERO), output_field=DecimalField())


def earning_answers():
    """Published answers with ``fee`` (the amount earned) and ``published_on`` (London date)."""
    return (
        Question.objects.filter(status=Question.Status.PUBLISHED, assignee__isnull=False, published_at__isnull=False)
        .annotate(published_on=TruncDate("published_at", tzinfo=LONDON))
        .annotate(fee=_rate())
    )


def month_bounds(year, month):
    """The first moment of a London month and of the next, as aware datetimes."""
    start = dt.datetime(year, month, 1, tzinfo=LONDON)
    end = dt.datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=LONDON)
    return start, end


def statement(*, expert_user, year, month):
    """The lines and total of one expert's statement for one month."""
    start, end = month_bounds(year, month)
    lines = list(
        earning_answers()
        .filter(assignee=expert_user, published_at__gte=start, published_at__lt=end)
        .select_related("topic")
        .order_by("published_at", "pk")
    )
    return {"lines": lines, "total": sum((line.fee for line in lines), ZERO), "start": start, "end": end}


def monthly_totals(*, expert_user, months=12):
    """The expert's last ``months`` months with earnings: [{month, answers, total}], newest first."""
    rows = (
        earning_answers()
        .filter(assignee=expert_user)
        .annotate(month=TruncMonth("published_at", tzinfo=LONDON))
        .values("month")
        .annotate(answers=Count("pk"), total=Sum("fee"))
        .order_by("-month")[:months]
    )
    return [{"month": row["month"], "answers": row["answers"], "total": row["total"] or ZERO} for row in rows]


def finance_rows(*, year, month):
    """Every earning answer of a month, for the finance CSV, ordered by expert."""
    start, end = month_bounds(year, month)
    return (
        earning_answers()
        .filter(published_at__gte=start, published_at__lt=end)
        .select_related("assignee", "topic", "network")
        .order_by("assignee__last_name", "assignee__first_name", "assignee_id", "published_at", "pk")
    )
