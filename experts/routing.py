"""Choose who answers a question, and say why.

Routing picks the fairest eligible expert (see ``ExpertProfileQuerySet.eligible_for``)
and assigns the question through the core's lifecycle service; when nobody is
eligible the question goes to the coordinators' triage queue. Either way the
reason is written to the question's audit trail.
"""

from django.db import transaction
from django.utils import timezone

from qa_site.knowledge import services
from qa_site.knowledge.models import Question

from .models import ExpertProfile


@transaction.atomic
def route_question(question):
    """Assign ``question`` to the fairest eligible expert, or send it to triage. Returns the profile or None."""
    candidates = list(ExpertProfile.objects.eligible_for(question).select_related("user"))
    for candidate in candidates:
        # Lock the expert and recount, so two questions routed at once cannot both take their last slot.
        locked = ExpertProfile.objects.select_for_update().get(pk=candidate.pk)
        open_now = Question.objects.filter(assignee_id=locked.user_id, status__in=Question.WITH_EXPERT_STATUSES).count()
        if open_now >= locked.max_open_questions:
            continue
        others = len(candidates) - 1
        reason = (
            f"Routed to {candidate.user.display_name}: knows {question.topic.title}, "
            f"{open_now} of {locked.max_open_questions} open questions"
            + (f", the fairest of {others + 1} eligible experts." if others else ", the only eligible expert.")
        )
        services.question_assign(question_id=question.pk, expert=candidate.user, reason=reason)
        ExpertProfile.objects.filter(pk=locked.pk).update(last_assigned_at=timezone.now())
        return candidate
    reason = _why_nobody(question)
    services.question_send_to_triage(question_id=question.pk, reason=reason)
    return None


def _why_nobody(question):
    on_topic = ExpertProfile.objects.filter(topics=question.topic_id)
    total = on_topic.count()
    if not total:
        return f"No expert covers {question.topic.title} yet."
    events = question.events.filter(expert__isnull=False)
    declined = on_topic.filter(user_id__in=events.filter(action="declined").values("expert_id")).count()
    released = on_topic.filter(user_id__in=events.filter(action="released").values("expert_id")).count()
    # The asker is never routed their own question (and, never assigned it, cannot have declined it).
    asked = on_topic.filter(user_id=question.asker_id).count() if question.asker_id else 0
    parts = []
    if declined:
        parts.append(f"{declined} declined this question")
    if released:
        parts.append(f"{released} had it taken back after its due time")
    if asked:
        parts.append("1 asked this question")
    others = total - declined - released - asked
    if others:
        parts.append(f"{others} away, paused, not accepting questions or at their limit")
    experts = "expert" if total == 1 else "experts"
    return f"No eligible expert among the {total} {experts} on {question.topic.title}: " + "; ".join(parts) + "."
