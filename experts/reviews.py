"""Published answers come back to experts: the daily review sweep, and who each review goes to.

Every published answer has a review-by date (its checked date plus the period in Settings → Knowledge base
settings). The sweep, run daily, reads only answers not yet queued whose date has come — through the partial
index ``questionpage_review_due`` — and opens a review for each (``answer_review_open`` claims the page with a
conditional UPDATE, so two sweeps at once, or one run twice, open it once). A review goes to the answer's expert
if they are still on the panel, else to everyone on the answer's topic; they are e-mailed once.
"""

import logging

from django.db import transaction
from django.utils import timezone

from qa_site import outbox
from qa_site.knowledge import services
from qa_site.knowledge.models import AnswerReview, QuestionPage

from . import tasks
from .models import ExpertProfile

log = logging.getLogger(__name__)

BATCH = 500


def due_for_review(today):
    """Live answers not yet in the review queue whose review-by date has come (the index's condition, exactly)."""
    return QuestionPage.objects.live().filter(review_queued_at=None, review_by__lte=today)


def sweep(*, today=None, now=None):
    """Open a review for every answer due; returns {"dated": n, "queued": n} for this run."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    done = {"dated": 0, "queued": 0}
    while True:  # pages created in bulk have no review date yet: give them one first
        dated = services.review_dates_fill(limit=BATCH)
        done["dated"] += dated
        if dated < BATCH:
            break
    while True:
        # A batch's reviews and the e-mail telling their experts commit together.
        with transaction.atomic():
            due = list(due_for_review(today).order_by("review_by", "pk").values_list("pk", "expert_id")[:BATCH])
            on_panel = set(
                ExpertProfile.objects.on_panel()
                .filter(user_id__in={expert_id for _, expert_id in due if expert_id})
                .values_list("user_id", flat=True)
            )
            opened = []
            for page_id, expert_id in due:
                review = services.answer_review_open(
                    page_id=page_id, expert_id=expert_id if expert_id in on_panel else None, today=today, now=now
                )
                if review is not None:
                    opened.append(review.pk)
            if opened:
                outbox.enqueue(tasks.send_review_due, opened)
        done["queued"] += len(opened)
        if len(due) < BATCH:
            break
    if done["queued"]:
        log.info("Review sweep: %s", done)
    return done


def waiting_for(user, profile):
    """The reviews on ``user``'s dashboard: waiting for them (theirs, or open to their topics), then their updates
    in review with a coordinator."""
    topic_ids = list(profile.topics.values_list("pk", flat=True))
    base = AnswerReview.objects.select_related("page", "page__topic").order_by("due_on", "pk")
    return {
        "due": list(base.for_expert(user, topic_ids)),
        "in_review": list(base.filter(expert=user, status=AnswerReview.Status.SUBMITTED)),
    }
