"""Changes to the panel that touch more than one record: joining, pausing, retiring, availability."""

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from qa_site import outbox
from qa_site.knowledge import services as lifecycle
from qa_site.knowledge.models import Question

from . import tasks
from .models import RESERVED_SLUGS, ExpertApplication, ExpertProfile


class PanelError(Exception):
    """A change to the panel that cannot be made; the message says why, for people."""


@transaction.atomic
def application_submit(*, user, headline, organisation, bio, experience, topics):
    profile = ExpertProfile.objects.filter(user=user).first()
    if profile is not None:
        if profile.is_on_panel:
            raise PanelError("You are already on the panel.")
        raise PanelError("You have been on the panel before: please contact the coordinators to rejoin.")
    if ExpertApplication.objects.filter(user=user, status=ExpertApplication.Status.PENDING).exists():
        raise PanelError("You have already applied; a coordinator will be in touch.")
    application = ExpertApplication.objects.create(
        user=user,
        headline=headline.strip(),
        organisation=organisation.strip(),
        bio=bio.strip(),
        experience=experience.strip(),
    )
    application.topics.set(topics)
    outbox.enqueue(tasks.send_application_received, application.pk)
    return application


def _unique_slug(user):
    base = slugify(user.get_full_name() or user.email.split("@")[0])[:40] or "expert"
    slug, n = base, 1
    while slug in RESERVED_SLUGS or ExpertProfile.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def application_approve(*, application_id, actor, note=""):
    """Put the applicant on the panel, with the topics they applied for."""
    application = (
        ExpertApplication.objects.select_for_update(of=("self",)).select_related("user").get(pk=application_id)
    )
    if application.status != ExpertApplication.Status.PENDING:
        raise PanelError("That application has already been decided.")
    if ExpertProfile.objects.filter(user=application.user).exists():
        raise PanelError("That person is already on the panel.")
    profile = ExpertProfile.objects.create(
        user=application.user,
        slug=_unique_slug(application.user),
        headline=application.headline,
        organisation=application.organisation,
        bio=application.bio,
    )
    profile.topics.set(application.topics.all())
    application.status = ExpertApplication.Status.APPROVED
    application.decided_by, application.decided_at, application.decision_note = actor, timezone.now(), note
    application.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    outbox.enqueue(tasks.send_application_decision, application.pk)
    return profile


@transaction.atomic
def application_reject(*, application_id, actor, note):
    application = ExpertApplication.objects.select_for_update().get(pk=application_id)
    if application.status != ExpertApplication.Status.PENDING:
        raise PanelError("That application has already been decided.")
    application.status = ExpertApplication.Status.REJECTED
    application.decided_by, application.decided_at, application.decision_note = actor, timezone.now(), note
    application.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    outbox.enqueue(tasks.send_application_decision, application.pk)
    return application


@transaction.atomic
def expert_set_status(*, profile_id, status, actor):
    """Activate, pause or retire an expert. Retiring hands their open questions back to routing."""
    if status not in ExpertProfile.Status.values:
        raise PanelError("Unknown status.")
    profile = ExpertProfile.objects.select_for_update(of=("self",)).select_related("user").get(pk=profile_id)
    if profile.status == status:
        return profile, 0
    profile.status = status
    profile.save(update_fields=["status"])
    handed_back = 0
    if status == ExpertProfile.Status.RETIRED:
        open_ids = Question.objects.filter(assignee=profile.user, status__in=Question.WITH_EXPERT_STATUSES).values_list(
            "pk", flat=True
        )
        for question_id in list(open_ids):
            lifecycle.question_release(
                question_id=question_id,
                actor=actor,
                reason=f"{profile.user.display_name} left the panel: routed to another expert.",
            )
            handed_back += 1
        # Published answers waiting for their review go to the other experts on each answer's topic.
        lifecycle.answer_reviews_release(expert=profile.user, actor=actor)
    return profile, handed_back


@transaction.atomic
def availability_update(*, profile, topics, max_open_questions, accepting_new, away_from, away_until, **details):
    """The expert's own settings: what they answer on, how much, and when they are away."""
    for field, value in details.items():
        setattr(profile, field, value)
    profile.max_open_questions = max_open_questions
    profile.accepting_new = accepting_new
    profile.away_from, profile.away_until = away_from, away_until
    # Only the fields the expert controls: a full save would write back a stale status (a coordinator pausing or
    # retiring them meanwhile) or last_assigned_at (routing, which updates it directly).
    profile.save(update_fields=[*details, "max_open_questions", "accepting_new", "away_from", "away_until"])
    profile.topics.set(topics)
    return profile
