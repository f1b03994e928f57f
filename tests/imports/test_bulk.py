"""Pages created in bulk are real, published pages in a valid tree."""

import datetime as dt

import pytest
from django.utils import timezone
from wagtail.models import Page

from qa_site.knowledge import services
from qa_site.knowledge.bulk import BulkQuestion, bulk_create_question_pages
from qa_site.knowledge.models import Question, QuestionPage
from qa_site.knowledge.signals import pages_bulk_created
from tests.factories import make_published_page

from .tree import assert_tree_valid

ANSWER = "Trustees can be paid only where the governing document or the Charity Commission allows it. " * 3


def items(topic, count, *, start=0, **extra):
    return [
        BulkQuestion(
            topic=topic,
            title=f"Can trustees be paid, case {n}?",
            question_text=f"Our trustee number {n} is a trainer. May we pay her?",
            answer=ANSWER,
            **extra,
        )
        for n in range(start, start + count)
    ]


def test_bulk_pages_are_live_pages_under_their_topic(topic, other_topic, client, alice):
    make_published_page(topic=topic, title="An earlier answer")
    published = timezone.make_aware(dt.datetime(2021, 3, 4, 10, 0))
    ids = bulk_create_question_pages(
        items(topic, 5, published_at=published) + items(other_topic, 3, start=5), batch_size=3
    )

    assert len(ids) == 8
    pages = list(QuestionPage.objects.filter(pk__in=ids).order_by("pk"))
    assert [p.get_parent().pk for p in pages] == [topic.pk] * 5 + [other_topic.pk] * 3
    assert all(p.live and p.topic_id == p.get_parent().pk for p in pages)
    assert pages[0].first_published_at == published
    assert pages[0].asked_on == dt.date(2021, 3, 4)
    assert pages[0].url_path == f"{topic.url_path}can-trustees-be-paid-case-0/"
    assert QuestionPage.objects.child_of(topic).count() == 6
    assert_tree_valid()

    client.force_login(alice)
    response = client.get(pages[0].url)
    assert response.status_code == 200
    assert "Our trustee number 0 is a trainer." in response.content.decode()
    listing = client.get(topic.url).content.decode()
    assert "Can trustees be paid, case 4?" in listing


def test_bulk_slugs_are_unique_among_siblings(topic):
    make_published_page(topic=topic, title="Same title")
    same = [BulkQuestion(topic=topic, title="Same title", question_text="Q?", answer="A.") for _ in range(3)]
    bulk_create_question_pages(same, batch_size=2)

    slugs = sorted(QuestionPage.objects.child_of(topic).values_list("slug", flat=True))
    assert slugs == ["same-title", "same-title-2", "same-title-3", "same-title-4"]


def test_publish_after_bulk_gets_the_next_path(topic, erin, colin, alice, run_on_commit):
    from tests.factories import ask

    ids = bulk_create_question_pages(items(topic, 4))
    question = ask(run_on_commit, alice, alice.memberships.get().network, topic)
    services.answer_submit(question_id=question.pk, expert=erin, body="You may, if the constitution allows.")
    services.question_publish(
        question_id=question.pk, actor=colin, title="Paying a trustee", question_text="May we?", answer_text="Yes."
    )

    page = Question.objects.get(pk=question.pk).page
    last_bulk = Page.objects.get(pk=ids[-1])
    assert page.path == Page._get_path(topic.path, topic.depth + 1, Page._str2int(last_bulk.path[-4:]) + 1)
    assert_tree_valid()


def test_bulk_sends_pages_bulk_created_after_each_batch(topic, django_capture_on_commit_callbacks):
    received = []

    def receiver(sender, page_ids, **kwargs):
        received.append(page_ids)

    pages_bulk_created.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            ids = bulk_create_question_pages(items(topic, 5), batch_size=2)
    finally:
        pages_bulk_created.disconnect(receiver)

    assert received == [ids[0:2], ids[2:4], ids[4:5]]


def test_bulk_pages_are_in_wagtails_search_index(topic, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ids = bulk_create_question_pages(items(topic, 3))

    assert sorted(page.pk for page in QuestionPage.objects.live().search("trustees paid")) == ids


def test_bulk_rejects_network_only_without_network(topic):
    with pytest.raises(ValueError, match="needs its network"):
        bulk_create_question_pages(items(topic, 1, visibility="network"))
    assert not QuestionPage.objects.exists()
