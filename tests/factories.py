"""Factories for the test suite. Pages are created through the tree, as the product does."""

import datetime as dt
from decimal import Decimal

import factory
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.utils import timezone

from experts.models import ExpertProfile
from qa_site.knowledge import services
from qa_site.knowledge.models import Answer, Question, QuestionPage, TopicIndexPage, TopicPage
from subscriptions.models import Membership, Network, Plan, Subscription

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.test")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified(self, create, extracted, **kwargs):
        if create and extracted is not False:
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)
        if create:
            self.save()


class PlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Plan
        django_get_or_create = ("slug",)

    slug = "standard"
    name = factory.LazyAttribute(lambda o: o.slug.title())
    annual_price = Decimal("1200.00")
    included_seats = 25
    sla_hours = 48


class NetworkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Network

    name = factory.Sequence(lambda n: f"Network {n}")
    slug = factory.Sequence(lambda n: f"network-{n}")


class SubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscription

    network = factory.SubFactory(NetworkFactory)
    plan = factory.SubFactory(PlanFactory)
    status = Subscription.Status.ACTIVE
    starts_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=30))
    ends_on = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=335))


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    network = factory.SubFactory(NetworkFactory)
    user = factory.SubFactory(UserFactory)
    role = Membership.Role.ADVISER


def make_topic(title, *, index=None):
    index = index or TopicIndexPage.objects.get()
    topic = TopicPage(title=title, slug=title.lower().replace(" ", "-"), description=f"All about {title}.")
    index.add_child(instance=topic)
    topic.save_revision().publish()
    return topic


def make_expert(*, topics, user=None, **fields):
    user = user or UserFactory()
    profile = ExpertProfile.objects.create(user=user, slug=f"expert-{user.pk}", headline="Expert adviser", **fields)
    profile.topics.set(topics)
    return profile


def make_published_page(
    *,
    topic,
    title="How do we register?",
    visibility="public",
    network=None,
    expert=None,
    answer="Register with the Charity Commission once income passes the threshold. " * 5,
):
    """A published answer page (with the question record behind it), as a coordinator's publish leaves it."""
    asker = UserFactory()
    network = network or NetworkFactory()
    question = Question.objects.create(
        title=title,
        details="Some details about our situation that are long enough.",
        topic=topic,
        asker=asker,
        network=network,
        visibility=visibility,
        status=Question.Status.PUBLISHED,
        assignee=expert,
        sla_hours=48,
        published_at=timezone.now(),
    )
    Answer.objects.create(question=question, author=expert, body=answer, submitted_at=timezone.now())
    page = QuestionPage(
        title=title,
        question=question,
        question_text=question.details,
        answer=answer,
        expert=expert,
        visibility=visibility,
        network=network if visibility == "network" else None,
    )
    topic.add_child(instance=page)
    page.save_revision().publish()
    return QuestionPage.objects.get(pk=page.pk)  # publish() saves a copy: re-read its dates


QUESTION_TITLE = "Can trustees be paid for their work?"
QUESTION_DETAILS = "We are a small charity and one trustee is a qualified trainer. Can we pay her?"


def ask(run_on_commit, asker, network, topic, *, title=QUESTION_TITLE, details=QUESTION_DETAILS, visibility="public"):
    """Submit a question as an adviser would, let routing run after commit, and return it re-read."""
    with run_on_commit():
        question = services.question_submit(
            asker=asker, network=network, topic=topic, title=title, details=details, visibility=visibility
        )
    question.refresh_from_db()
    return question


def image_bytes(*, size=(40, 30), format="PNG", noise=False):
    """A real image file's bytes (noise makes it incompressible, for size limits)."""
    import io
    import os

    from PIL import Image as PILImage

    if noise:
        picture = PILImage.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    else:
        picture = PILImage.new("RGB", size, (29, 107, 87))
    buffer = io.BytesIO()
    picture.save(buffer, format=format)
    return buffer.getvalue()


def make_image(title="Portrait", **kwargs):
    """A Wagtail image in the root collection."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from wagtail.images import get_image_model
    from wagtail.models import Collection

    return get_image_model().objects.create(
        title=title,
        file=SimpleUploadedFile("portrait.png", image_bytes(**kwargs), content_type="image/png"),
        collection=Collection.get_first_root_node(),
    )


def make_answers_for_each_audience(*, topic, northshire, westvale, expert):
    """A public answer and one shared with each of two networks only: what listings, search and caches must keep
    apart."""
    return {
        "public": make_published_page(topic=topic, title="Public answer on registering", expert=expert),
        "northshire": make_published_page(
            topic=topic, title="Northshire-only answer", visibility="network", network=northshire, expert=expert
        ),
        "westvale": make_published_page(
            topic=topic, title="Westvale-only answer", visibility="network", network=westvale, expert=expert
        ),
    }
