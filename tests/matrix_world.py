"""The world of the permission matrix and the fuzz tests: seven personas and one object behind every URL.

Personas (the matrix's columns, in this order):

- anonymous
- adviser: Alice, adviser of Northshire (active); she asked a private question (answered, waiting for review)
  and an open public question (the expert asked her for more detail); her network has a network-only published
  answer
- expired: Carol, adviser of Eastmoor, whose subscription has expired
- other: Bob, adviser of Westvale (another active network); he has a question in the triage queue, and his network
  a network-only published answer of its own
- netadmin: Nadia, network admin of Northshire
- expert: Erin, on the panel (Charity law), assigned Alice's two questions; she wrote the public and the
  Northshire network-only answers
- coordinator: Colin, staff, in the Coordinators group (Wagtail admin)

Every text below that must not leak is plain ASCII without quotes or ampersands, so that HTML or XML escaping can
never hide it from a search of the response body.
"""

import datetime as dt
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.test import TestCase
from django.utils import timezone

from experts import routing
from experts.models import ExpertApplication
from feeds import alerts
from qa_site.knowledge import services
from qa_site.knowledge.models import Question, QuestionPage
from qa_site.knowledge.setup import ensure_coordinators_group, ensure_site_tree
from qa_site.webhooks import services as webhook_services
from subscriptions import billing
from subscriptions import services as subscription_services
from subscriptions.models import AccessKey, Invoice, JoinRequest, Membership, Subscription

from .factories import (
    MembershipFactory,
    NetworkFactory,
    PlanFactory,
    SubscriptionFactory,
    UserFactory,
    make_expert,
    make_published_page,
    make_topic,
)

PERSONAS = ("anonymous", "adviser", "expired", "other", "netadmin", "expert", "coordinator")

PRIVATE_TITLE = "Zebracorn private question about the missing minibus keys"
PRIVATE_DETAILS = "Zebracorn details: our treasurer kept the minibus keys and the petty cash tin at home."
PRIVATE_ANSWER = (
    "Zebracorn answer for the asker only: write to the treasurer, change the locks and tell your insurer today. " * 2
)
OPEN_TITLE = "Quillfeather open question about volunteer mileage rates"
OPEN_DETAILS = "Quillfeather details: our volunteers drive to the food bank twice a week and we pay them mileage."
TRIAGE_TITLE = "Marmalith question about a contract of employment nobody can route"
TRIAGE_DETAILS = "Marmalith details: our caretaker has worked for us for years without a written contract."
NETWORK_TITLE = "Northshire network-only answer on the cheque book mandate"
NETWORK_ANSWER = "Glimmerstone guidance for Northshire members: cancel the old bank mandate in writing. " * 3
WESTVALE_TITLE = "Westvale network-only answer on the community hall lease"
WESTVALE_ANSWER = "Brackenwhirl guidance for Westvale members: read the break clause before you sign the lease. " * 3
PUBLIC_TITLE = "Public answer on registering a charity"
PUBLIC_ANSWER = "Public guidance: register once your income passes the threshold and keep good records. " * 5 + (
    "Snorkelbloom closing sentence that only subscribers read."
)
PUBLIC_CLOSING = "Snorkelbloom closing sentence that only subscribers read."
REVIEW_TITLE = "Public answer on insuring volunteer drivers"
REVIEW_UPDATE = "Wobblequartz update: the insurer now asks for a yearly licence check of every volunteer driver. " * 2
TEASER_NOTICE = "The full answer is for subscribers."

# Who may see each text anywhere on the site. Every response of the matrix, whatever its status, is searched
# for every text its persona must not see.
SECRETS = {
    "private question title": (PRIVATE_TITLE, {"adviser", "expert", "coordinator"}),
    "private question details": (PRIVATE_DETAILS, {"adviser", "expert", "coordinator"}),
    "private answer": (PRIVATE_ANSWER.strip()[:60], {"expert", "coordinator"}),  # in review: not yet the asker's
    "open question details": (OPEN_DETAILS, {"adviser", "expert", "coordinator"}),
    "triage question details": (TRIAGE_DETAILS, {"other", "coordinator"}),
    "Northshire network-only title": (NETWORK_TITLE, {"adviser", "netadmin", "expert", "coordinator"}),
    "Northshire network-only answer": (NETWORK_ANSWER.strip()[:60], {"adviser", "netadmin", "expert", "coordinator"}),
    "Westvale network-only title": (WESTVALE_TITLE, {"other", "coordinator"}),
    "Westvale network-only answer": (WESTVALE_ANSWER.strip()[:60], {"other", "coordinator"}),
    "public answer in full": (PUBLIC_CLOSING, {"adviser", "other", "netadmin", "expert", "coordinator"}),
    "unpublished update of an answer": (REVIEW_UPDATE.strip()[:60], {"expert", "coordinator"}),
}


@dataclass
class World:
    users: dict
    northshire: object
    westvale: object
    eastmoor: object
    topic: object
    other_topic: object
    empty_topic: object
    private_question: object
    open_question: object
    triage_question: object
    public_page: object
    network_page: object
    westvale_page: object
    invoice: object
    subscription: object
    alice_membership: object
    invitation: object
    invitation_token: str
    key: object
    expert_profile: object
    other_expert_profile: object
    application: object
    join_request: object
    review_page: object
    review: object
    feed_key: object
    webhook_endpoint: object
    follow: object
    unsubscribe_token: str

    def user(self, persona):
        return None if persona == "anonymous" else self.users[persona]


@contextmanager
def shared_world(django_db_blocker):
    """The world built once for a whole test module, in a transaction rolled back when the module is done.

    Each test still runs in its own savepoint inside it (pytest-django's ``db``), so tests cannot see each
    other's changes; building the world once instead of per test saves most of the run time.
    """
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield build_world()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def build_world():
    """Everything the matrix needs, made as the product makes it (services, the page tree). Needs the database.

    What the services do after commit (routing, e-mails, indexing for search) runs at the end, as a commit would.
    """
    with TestCase.captureOnCommitCallbacks(execute=True):
        return _build()


def _build():
    ensure_site_tree()
    today = timezone.localdate()
    standard = PlanFactory(slug="standard", sla_hours=48)
    premium = PlanFactory(slug="premium", sla_hours=24, annual_price="2400.00", private_feeds=True)

    northshire = NetworkFactory(name="Northshire RCC", slug="northshire")
    subscription = SubscriptionFactory(network=northshire, plan=standard)
    westvale = NetworkFactory(name="Westvale CVS", slug="westvale")
    SubscriptionFactory(network=westvale, plan=premium)
    eastmoor = NetworkFactory(name="Eastmoor VA", slug="eastmoor")
    SubscriptionFactory(
        network=eastmoor,
        plan=standard,
        status=Subscription.Status.EXPIRED,
        starts_on=today - dt.timedelta(days=400),
        ends_on=today - dt.timedelta(days=35),
    )

    topic = make_topic("Charity law")
    other_topic = make_topic("Rural transport")
    empty_topic = make_topic("Employment")  # no expert answers on it: questions go to triage

    alice = UserFactory(email="alice@example.test", first_name="Alice")
    alice_membership = MembershipFactory(network=northshire, user=alice)
    carol = UserFactory(email="carol@example.test", first_name="Carol")
    MembershipFactory(network=eastmoor, user=carol)
    bob = UserFactory(email="bob@example.test", first_name="Bob")
    MembershipFactory(network=westvale, user=bob)
    nadia = UserFactory(email="nadia@example.test", first_name="Nadia")
    MembershipFactory(network=northshire, user=nadia, role=Membership.Role.ADMIN)
    erin = UserFactory(email="erin@example.test", first_name="Erin")
    expert_profile = make_expert(topics=[topic], user=erin)
    otto = UserFactory(email="otto@example.test", first_name="Otto")
    other_expert_profile = make_expert(topics=[other_topic], user=otto)
    colin = UserFactory(email="colin@example.test", first_name="Colin", is_staff=True)
    colin.groups.add(ensure_coordinators_group())

    def submit(asker, network, topic, title, details, visibility):
        question = services.question_submit(
            asker=asker, network=network, topic=topic, title=title, details=details, visibility=visibility
        )
        routing.route_question(question)  # as the routing job does after commit
        question.refresh_from_db()
        return question

    private_question = submit(alice, northshire, topic, PRIVATE_TITLE, PRIVATE_DETAILS, "private")
    assert private_question.assignee == erin
    services.answer_submit(question_id=private_question.pk, expert=erin, body=PRIVATE_ANSWER)
    private_question.refresh_from_db()
    assert private_question.status == Question.Status.ANSWERED
    open_question = submit(alice, northshire, topic, OPEN_TITLE, OPEN_DETAILS, "public")
    assert (open_question.assignee, open_question.status) == (erin, Question.Status.ASSIGNED)
    services.question_request_clarification(
        question_id=open_question.pk, expert=erin, message="Quillfeather: how many miles a week, roughly?"
    )
    open_question.refresh_from_db()
    triage_question = submit(bob, westvale, empty_topic, TRIAGE_TITLE, TRIAGE_DETAILS, "public")
    assert triage_question.needs_triage

    public_page = make_published_page(topic=topic, title=PUBLIC_TITLE, answer=PUBLIC_ANSWER, expert=erin)
    network_page = make_published_page(
        topic=topic, title=NETWORK_TITLE, visibility="network", network=northshire, answer=NETWORK_ANSWER, expert=erin
    )
    westvale_page = make_published_page(
        topic=topic, title=WESTVALE_TITLE, visibility="network", network=westvale, answer=WESTVALE_ANSWER, expert=otto
    )

    invoice = billing.invoice_issue(
        network=northshire,
        subscription=subscription,
        kind=Invoice.Kind.NEW,
        period_start=subscription.starts_on,
        period_end=subscription.ends_on,
        lines=[("Standard plan: 25 seats", Decimal("1"), Decimal("1200.00"))],
        issued_on=today - dt.timedelta(days=5),
    )
    invitation = subscription_services.invitation_create(network=northshire, email="newcomer@example.test", actor=nadia)
    key = AccessKey.objects.create(
        network=northshire, name="Members site", kind=AccessKey.Kind.WIDGET, allowed_origins="https://example.org"
    )
    feed_key = AccessKey.objects.create(network=westvale, name="Westvale members feed", kind=AccessKey.Kind.FEED)
    webhook_endpoint = webhook_services.endpoint_create(
        network=northshire,
        actor=nadia,
        url="https://crm.northshire.example.org/hooks/ask",
        description="Case system",
        events=["answer.published", "question.answered"],
        topic_ids=[],
    )

    # A published answer past its review-by date, whose expert has sent an update for the coordinators to review.
    review_page = make_published_page(topic=topic, title=REVIEW_TITLE, expert=erin)
    QuestionPage.objects.filter(pk=review_page.pk).update(review_by=today)
    review = services.answer_review_open(page_id=review_page.pk, expert_id=erin.pk, today=today)
    review = services.answer_review_submit(review_id=review.pk, expert=erin, body=REVIEW_UPDATE)

    follow = alerts.follow_create(user=alice, page=topic)

    applicant = UserFactory(email="applicant@example.test", first_name="Andrea")
    application = ExpertApplication.objects.create(
        user=applicant, headline="Employment lawyer", bio="Ten years of advice.", experience="Solicitor."
    )
    application.topics.set([empty_topic])

    join_request = JoinRequest.objects.create(
        user=UserFactory(email="joiner@example.test"),
        plan=subscription.plan,
        start=JoinRequest.Start.TRIAL,
        seats=subscription.plan.included_seats,
        name="Southby Forum",
        billing_email="accounts@southby.test",
        billing_address="1 High Street",
    )

    return World(
        users={
            "adviser": alice,
            "expired": carol,
            "other": bob,
            "netadmin": nadia,
            "expert": erin,
            "coordinator": colin,
        },
        northshire=northshire,
        westvale=westvale,
        eastmoor=eastmoor,
        topic=topic,
        other_topic=other_topic,
        empty_topic=empty_topic,
        private_question=private_question,
        open_question=open_question,
        triage_question=triage_question,
        public_page=public_page,
        network_page=network_page,
        westvale_page=westvale_page,
        invoice=invoice,
        subscription=subscription,
        alice_membership=alice_membership,
        invitation=invitation,
        invitation_token=invitation.token,
        key=key,
        expert_profile=expert_profile,
        other_expert_profile=other_expert_profile,
        application=application,
        join_request=join_request,
        review_page=review_page,
        review=review,
        feed_key=feed_key,
        webhook_endpoint=webhook_endpoint,
        follow=follow,
        unsubscribe_token=alerts.unsubscribe_token(user_id=alice.pk, follow_id=follow.pk),
    )
