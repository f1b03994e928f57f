"""Background jobs of the experts app. Each takes ids and is safe to run twice."""

import logging

from qa_site.knowledge.models import Question
from qa_site.knowledge.services import TransitionError

from . import routing

log = logging.getLogger(__name__)


def route_question(question_id):
    """Route a new or declined question; does nothing if it has already been routed."""
    question = Question.objects.select_related("topic").filter(pk=question_id).first()
    if question is None:
        return
    waiting = question.status == Question.Status.DECLINED or (
        question.status == Question.Status.SUBMITTED and not question.needs_triage
    )
    if not waiting:
        return
    try:
        routing.route_question(question)
    except TransitionError as exc:  # withdrawn or routed by someone else meanwhile
        log.info("Question %s not routed: %s", question_id, exc)
