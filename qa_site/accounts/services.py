"""What a person may do with their own account: download their data, and delete the account.

This app is the lowest layer (docs/architecture.md) and imports no other app of ours. It reaches what other
apps keep about a person through the relations those apps add to the user (``memberships``,
``questions_asked``, ``answer_ratings``, ``expert_profile``, ``expert_applications``, ``alert_follows``,
``alerts_sent``) and, for records with no
such relation (an invitation's ``accepted_by``, an answer's ``author``, an event's ``actor``), by model label
through the app registry, as the core reaches routing by name.
"""

import logging

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Prefetch, Q
from django.utils import timezone
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


def _model(label):
    return apps.get_model(label)


def _iso(value):
    return value.isoformat() if value is not None else None


# --- Download my data ---------------------------------------------------------------------------------------------


def personal_data(user):
    """Everything the site keeps about ``user``, as plain JSON-ready data.

    A constant number of queries, however many questions, ratings or answers the person has.
    """
    Question = _model("knowledge.Question")
    QuestionEvent = _model("knowledge.QuestionEvent")
    Answer = _model("knowledge.Answer")
    Invitation = _model("subscriptions.Invitation")
    ExpertProfile = _model("experts.ExpertProfile")
    FeeRate = _model("experts.FeeRate")

    addresses = EmailAddress.objects.filter(user=user).order_by("-primary", "email")
    two_factor = Authenticator.objects.filter(user=user).order_by("type").values_list("type", flat=True)
    memberships = user.memberships.select_related("network").order_by("joined_at", "pk")
    questions = (
        Question.objects.filter(asker=user)
        .select_related("topic", "network", "answer", "answer__author")
        .order_by("submitted_at", "pk")
    )
    ratings = user.answer_ratings.select_related("question").order_by("created_at", "pk")
    replies = (
        QuestionEvent.objects.filter(actor=user, action=QuestionEvent.Action.CLARIFIED)
        .select_related("question")
        .order_by("created_at", "pk")
    )
    invitations = Invitation.objects.filter(accepted_by=user).select_related("network").order_by("accepted_at", "pk")
    applications = user.expert_applications.prefetch_related("topics").order_by("submitted_at", "pk")
    follows = user.alert_follows.select_related("topic", "question_page").order_by("created_at", "pk")
    alerts_sent = user.alerts_sent.select_related("page").order_by("sent_at", "pk")
    # Through the relation qa_site.api adds to the user (this layer does not import it); never the token's digest.
    api_tokens = user.personal_api_tokens.order_by("created_at", "pk")
    profile = (
        ExpertProfile.objects.filter(user=user)
        .prefetch_related(
            "topics",
            Prefetch(
                "fee_rates",
                queryset=FeeRate.objects.select_related("topic").order_by(
                    F("topic").asc(nulls_first=True), "-effective_from", "pk"
                ),
            ),
        )
        .first()
    )

    data = {
        "exported_at": _iso(timezone.now()),
        "profile": {
            "first_name": user.first_name,
            "last_name": user.last_name,
            "display_name": user.display_name,
            "email": user.email,
            "email_addresses": [{"email": a.email, "primary": a.primary, "verified": a.verified} for a in addresses],
            "date_joined": _iso(user.date_joined),
            "last_login": _iso(user.last_login),
            "coordinator": user.is_staff,
            "two_factor": list(two_factor),
        },
        "memberships": [
            {
                "network": m.network.name,
                "role": m.role,
                "organisation": m.organisation,
                "joined_at": _iso(m.joined_at),
            }
            for m in memberships
        ],
        "questions": [_question(q, Question) for q in questions],
        "ratings": [
            {
                "question": r.question.title,
                "stars": r.stars,
                "comment": r.comment,
                "created_at": _iso(r.created_at),
                "updated_at": _iso(r.updated_at),
            }
            for r in ratings
        ],
        "clarification_replies": [
            {"question": e.question.title, "reply": e.note, "sent_at": _iso(e.created_at)} for e in replies
        ],
        "invitations_accepted": [
            {
                "network": i.network.name,
                "email": i.email,
                "role": i.role,
                "organisation": i.organisation,
                "invited_at": _iso(i.created_at),
                "accepted_at": _iso(i.accepted_at),
            }
            for i in invitations
        ],
        "expert_applications": [
            {
                "headline": a.headline,
                "organisation": a.organisation,
                "bio": a.bio,
                "experience": a.experience,
                "topics": sorted(t.title for t in a.topics.all()),
                "status": a.status,
                "submitted_at": _iso(a.submitted_at),
                "decided_at": _iso(a.decided_at),
            }
            for a in applications
        ],
        "alerts": {
            "following": [
                {
                    "topic": f.topic.title if f.topic_id else None,
                    "answer": f.question_page.title if f.question_page_id else None,
                    "frequency": f.frequency,
                    "since": _iso(f.created_at),
                }
                for f in follows
            ],
            "sent": [
                {"answer": a.page.title, "published_at": _iso(a.published_at), "sent_at": _iso(a.sent_at)}
                for a in alerts_sent
            ],
        },
        "api_tokens": [
            {
                "name": t.name,
                "scopes": t.scopes,
                "made_at": _iso(t.created_at),
                "last_used_at": _iso(t.last_used_at),
                "revoked_at": _iso(t.revoked_at),
            }
            for t in api_tokens
        ],
        "expert": None,
    }
    if profile is not None:
        answers = Answer.objects.filter(author=user).select_related("question", "question__topic").order_by("pk")
        data["expert"] = {
            "profile": {
                "slug": profile.slug,
                "headline": profile.headline,
                "organisation": profile.organisation,
                "bio": profile.bio,
                "status": profile.status,
                "topics": sorted(t.title for t in profile.topics.all()),
                "accepting_new": profile.accepting_new,
                "max_open_questions": profile.max_open_questions,
                "away_from": _iso(profile.away_from),
                "away_until": _iso(profile.away_until),
                "joined_on": _iso(profile.joined_on),
                "fee_rates": [
                    {
                        "topic": rate.topic.title if rate.topic else None,
                        "amount": str(rate.amount),
                        "effective_from": _iso(rate.effective_from),
                    }
                    for rate in profile.fee_rates.all()
                ],
            },
            "answers": [
                {
                    "question": a.question.title,
                    "topic": a.question.topic.title,
                    "question_status": a.question.status,
                    "body": a.body,
                    "submitted_at": _iso(a.submitted_at),
                    "published_at": _iso(a.question.published_at),
                }
                for a in answers
            ],
        }
    return data


def _question(question, Question):
    answer = getattr(question, "answer", None) if question.status == Question.Status.PUBLISHED else None
    return {
        "title": question.title,
        "details": question.details,
        "topic": question.topic.title,
        "network": question.network.name,
        "status": question.status,
        "visibility": question.visibility,
        "submitted_at": _iso(question.submitted_at),
        "answered_at": _iso(question.answered_at),
        "published_at": _iso(question.published_at),
        "answer": answer.body if answer else None,
        "answered_by": answer.author.display_name if answer and answer.author else None,
    }


# --- Delete my account --------------------------------------------------------------------------------------------


class DeletionRefused(Exception):
    """The account cannot be deleted by its owner; the message says why and what to do."""


def _networks_only_admin_of(user):
    """The networks in which ``user`` is the only network admin."""
    Membership = user.memberships.model
    admin = Membership.Role.ADMIN
    other_admins = Membership.objects.filter(network_id=OuterRef("network_id"), role=admin).exclude(user=user)
    return [
        m.network
        for m in user.memberships.filter(role=admin)
        .filter(~Exists(other_admins))
        .select_related("network")
        .order_by("network__name")
    ]


def deletion_blockers(user):
    """Why ``user`` may not delete their own account: a list of messages, empty when they may."""
    reasons = []
    if user.is_staff or user.is_superuser:
        reasons.append(
            "Coordinators cannot delete their own account here: please ask another coordinator to close it, "
            "so that the work you reviewed keeps its record."
        )
    profile = getattr(user, "expert_profile", None)
    if profile is not None:
        reasons.append(
            ("You are on the expert panel" if profile.is_on_panel else "You have been on the expert panel")
            + ", and your named answers (and your fee record) are part of the knowledge base: please ask the "
            "coordinators to close your account."
        )
    networks = _networks_only_admin_of(user)
    if networks:
        names = ", ".join(n.name for n in networks)
        reasons.append(
            f"You are the only network admin of {names}: make another member an admin first "
            "(or ask the coordinators), so the network is not left without one."
        )
    return reasons


def deletion_summary(user):
    """What deleting the account would change, for the page that asks for confirmation."""
    Question = _model("knowledge.Question")
    Invitation = _model("subscriptions.Invitation")
    questions = user.questions_asked.all()
    return {
        "questions": questions.count(),
        # Answers shared in the knowledge base (private ones are delivered to the asker only, with no page).
        "published": questions.filter(status=Question.Status.PUBLISHED, page__isnull=False).count(),
        "ratings": user.answer_ratings.count(),
        "memberships": list(user.memberships.select_related("network").order_by("network__name")),
        "pending_invitations": Invitation.objects.pending().filter(_addressed_to(user)).count(),
        "email_addresses": list(EmailAddress.objects.filter(user=user).order_by("-primary", "email")),
    }


def _addresses(user):
    addresses = {address.lower() for address in EmailAddress.objects.filter(user=user).values_list("email", flat=True)}
    addresses.add(user.email.lower())
    return sorted(addresses)


def _addressed_to(user):
    q = Q(pk__in=[])
    for address in _addresses(user):
        q |= Q(email__iexact=address)
    return q


@transaction.atomic
def delete_account(user):
    """Delete ``user``'s account, keeping what others rely on without their name.

    - questions they asked stay, without an asker: published answers stay in the knowledge base unchanged,
      private questions stay for the record;
    - their ratings stay, without the reader, so experts' scorecards do not change;
    - their memberships go (freeing the seats) and pending invitations to their addresses are revoked;
    - what they follow for e-mail alerts, and the record of alerts sent to them, go;
    - their e-mail addresses, two-factor authenticators and the account itself are deleted.

    Raises ``DeletionRefused`` (and changes nothing) for coordinators, experts on the panel and the last
    admin of a network. Returns what was done, as counts.
    """
    User = get_user_model()
    Question = _model("knowledge.Question")
    AnswerRating = _model("knowledge.AnswerRating")
    Invitation = _model("subscriptions.Invitation")
    Membership = user.memberships.model

    user = User.objects.select_for_update().get(pk=user.pk)
    # Lock the admin seats of the networks this person administers, so that two admins of one network
    # cannot both leave at once; the check below then reads what is committed.
    admin_of = user.memberships.filter(role=Membership.Role.ADMIN).values("network_id")
    list(
        Membership.objects.select_for_update()
        .filter(network_id__in=admin_of, role=Membership.Role.ADMIN)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    reasons = deletion_blockers(user)
    if reasons:
        raise DeletionRefused(" ".join(reasons))

    done = {
        # Questions nobody is waiting for any more: the higher layers' hooks (settings.ACCOUNT_DELETION_HOOKS)
        # withdraw them through the question lifecycle, so each is recorded in its audit trail.
        "questions_withdrawn": sum(import_string(hook)(user=user) for hook in settings.ACCOUNT_DELETION_HOOKS),
        "invitations_revoked": Invitation.objects.pending()
        .filter(_addressed_to(user))
        .update(revoked_at=timezone.now()),
        "questions_kept": Question.objects.filter(asker=user).update(asker=None),
        "ratings_kept": AnswerRating.objects.filter(user=user).update(user=None),
    }
    done["memberships_removed"], _ = Membership.objects.filter(user=user).delete()
    done["alert_follows_removed"], _ = user.alert_follows.all().delete()
    user.alerts_sent.all().delete()
    done["email_addresses_removed"], _ = EmailAddress.objects.filter(user=user).delete()
    Authenticator.objects.filter(user=user).delete()
    pk = user.pk
    user.delete()
    logger.info("Account %s deleted by its owner: %s", pk, done)
    return done
