"""How experts and the service perform against the promise: scorecards and compliance reports.

Compliance counts answered questions (those with ``sla_met`` recorded when the expert submitted the
answer): met if the working hours to answer, less every pause, were within the plan's promise.
Medians are computed in Python from the rows of one query per report.
"""

import statistics
from zoneinfo import ZoneInfo

from django.db.models import Avg, Count, Q
from django.db.models.functions import TruncMonth, TruncWeek

from qa_site.knowledge.models import AnswerRating, HelpfulVote, Question, QuestionEvent

LONDON = ZoneInfo("Europe/London")


def answered():
    """Questions whose answer was submitted and timed (whatever happened after: review, publication)."""
    return Question.objects.filter(sla_met__isnull=False, answered_at__isnull=False)


def _median(values):
    return round(statistics.median(values), 1) if values else None


def _percent(part, whole):
    return round(100 * part / whole, 1) if whole else None


def summarise(rows):
    """rows: iterable of (key, met, hours) → [{key, answered, met, met_percent, median_hours}] in key order."""
    groups = {}
    for key, met, hours in rows:
        group = groups.setdefault(key, {"met": 0, "hours": []})
        group["met"] += bool(met)
        group["hours"].append(float(hours))
    return [
        {
            "key": key,
            "answered": len(g["hours"]),
            "met": g["met"],
            "met_percent": _percent(g["met"], len(g["hours"])),
            "median_hours": _median(g["hours"]),
        }
        for key, g in sorted(groups.items(), key=lambda item: (item[0] is None, item[0]))
    ]


# Readers' "Was this helpful?" votes on the published answers an expert is named on.
HELPFUL_COUNTS = {
    "helpful_yes": Count("pk", filter=Q(helpful=True)),
    "helpful_no": Count("pk", filter=Q(helpful=False)),
}


def scorecard(*, expert_user):
    """The expert's record: answers, SLA met %, median working hours, ratings, returns from review."""
    timed = list(answered().filter(assignee=expert_user).values_list("sla_met", "working_hours_to_answer"))
    ratings = AnswerRating.objects.filter(question__assignee=expert_user).aggregate(
        average=Avg("stars"), count=Count("pk")
    )
    returned = QuestionEvent.objects.filter(action=QuestionEvent.Action.RETURNED, question__assignee=expert_user)
    published = Question.objects.filter(assignee=expert_user, status=Question.Status.PUBLISHED).count()
    helpful = HelpfulVote.objects.filter(page__expert=expert_user).aggregate(**HELPFUL_COUNTS)
    met = sum(1 for m, _ in timed if m)
    return {
        **helpful,
        "answered": len(timed),
        "published": published,
        "met_percent": _percent(met, len(timed)),
        "median_hours": _median([float(h) for _, h in timed]),
        "rating_average": round(ratings["average"], 1) if ratings["average"] else None,
        "rating_count": ratings["count"],
        "returned": returned.count(),
    }


def _last(groups, count):
    return groups if count is None else groups[-count:]


def by_month(queryset, months=12):
    """Compliance per London month of answering, oldest first, for the last ``months`` months with answers.

    ``months=None``: every month with answers.
    """
    rows = queryset.annotate(period=TruncMonth("answered_at", tzinfo=LONDON)).values_list(
        "period", "sla_met", "working_hours_to_answer"
    )
    return _last(summarise(rows), months)


def by_week(queryset, weeks=26):
    """Compliance per London week (from Monday) of answering, oldest first; ``weeks=None``: every week."""
    rows = queryset.annotate(period=TruncWeek("answered_at", tzinfo=LONDON)).values_list(
        "period", "sla_met", "working_hours_to_answer"
    )
    return _last(summarise(rows), weeks)


def by_field(queryset, field, label_field):
    """Compliance grouped by a related object (expert, topic, network), labelled by ``label_field``.

    Groups by ``field`` (the object's id), so two objects with the same label stay apart; each group's
    ``key`` is its label and ``id`` its ``field`` value. Sorted by label (no label last), then id.
    """
    rows = list(queryset.values_list(field, label_field, "sla_met", "working_hours_to_answer"))
    labels = {ident: label for ident, label, _, _ in rows}
    groups = summarise((ident, met, hours) for ident, _, met, hours in rows)
    for group in groups:
        group["id"], group["key"] = group["key"], labels[group["key"]]
    return sorted(groups, key=lambda g: (g["key"] is None, g["key"] or "", g["id"] is None, g["id"] or 0))


def panel_scorecards(expert_user_ids):
    """``scorecard`` for many experts at once, in four queries: {user id: {...}} (without ``returned``)."""
    ids = list(expert_user_ids)
    timed = {}
    for user_id, met, hours in (
        answered().filter(assignee_id__in=ids).values_list("assignee_id", "sla_met", "working_hours_to_answer")
    ):
        timed.setdefault(user_id, []).append((met, float(hours)))
    published = dict(
        Question.objects.filter(assignee_id__in=ids, status=Question.Status.PUBLISHED)
        .order_by()
        .values("assignee_id")
        .annotate(n=Count("pk"))
        .values_list("assignee_id", "n")
    )
    ratings = {
        row["question__assignee_id"]: row
        for row in AnswerRating.objects.filter(question__assignee_id__in=ids)
        .order_by()
        .values("question__assignee_id")
        .annotate(average=Avg("stars"), count=Count("pk"))
    }
    helpful = {
        row["page__expert_id"]: row
        for row in HelpfulVote.objects.filter(page__expert_id__in=ids)
        .order_by()
        .values("page__expert_id")
        .annotate(**HELPFUL_COUNTS)
    }
    cards = {}
    for user_id in ids:
        rows = timed.get(user_id, [])
        rating = ratings.get(user_id, {"average": None, "count": 0})
        votes = helpful.get(user_id, {"helpful_yes": 0, "helpful_no": 0})
        cards[user_id] = {
            "helpful_yes": votes["helpful_yes"],
            "helpful_no": votes["helpful_no"],
            "answered": len(rows),
            "published": published.get(user_id, 0),
            "met_percent": _percent(sum(1 for met, _ in rows if met), len(rows)),
            "median_hours": _median([hours for _, hours in rows]),
            "rating_average": round(rating["average"], 1) if rating["average"] else None,
            "rating_count": rating["count"],
        }
    return cards


def open_state_counts(now):
    """How the open questions stand now: {on_track, at_risk, breached, paused}."""
    running = Question.objects.filter(status__in=Question.OPEN_STATUSES + Question.WITH_EXPERT_STATUSES)
    return running.aggregate(
        breached=Count("pk", filter=Q(sla_running=True, due_at__lte=now)),
        at_risk=Count("pk", filter=Q(sla_running=True, warn_at__lte=now, due_at__gt=now)),
        on_track=Count("pk", filter=Q(sla_running=True, warn_at__gt=now)),
        paused=Count("pk", filter=Q(sla_running=False)),
    )
