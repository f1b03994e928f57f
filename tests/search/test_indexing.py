"""The index follows the knowledge base: publishing, unpublishing, edits, moves, deletion and bulk imports
reach it after commit, through the outbox's tasks; ``search_rebuild`` rebuilds it from the live pages."""

import io

import pytest
from django.core.management import call_command

from qa_site.knowledge.bulk import BulkQuestion, bulk_create_question_pages
from qa_site.knowledge.models import QuestionPage
from search.backends import get_backend
from search.backends.base import Audience
from search.documents import answer_text, documents_for
from search.models import IndexEntry
from search.tasks import index_pages
from tests.factories import make_published_page, make_topic

EVERYONE = Audience()
COORDINATOR = Audience(everything=True)


def found(query, audience=COORDINATOR):
    return {hit.page_id for hit in get_backend().search(query, audience=audience).hits}


@pytest.fixture
def page(topic, erin, run_on_commit):
    with run_on_commit():
        return make_published_page(
            topic=topic,
            title="Volunteer mileage rates",
            expert=erin,
            answer="Volunteer drivers may be paid the **approved** mileage rate.\n\n- No tax\n- No forms",
        )


def test_a_published_answer_is_indexed_after_commit(page, topic, erin):
    entry = IndexEntry.objects.get(page_id=page.pk)
    assert (entry.visibility, entry.topic_id, entry.expert_id) == ("public", topic.pk, erin.pk)
    assert (entry.topic_title, entry.expert_name) == ("Charity law", erin.display_name)
    assert entry.year == page.first_published_at.year
    assert entry.url_path == page.url
    assert found("mileage") == {page.pk}


def test_nothing_is_indexed_when_the_transaction_rolls_back(topic, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        page = make_published_page(topic=topic, title="Volunteer mileage rates")
    assert not IndexEntry.objects.filter(page_id=page.pk).exists()


def test_the_document_has_the_answer_as_plain_text(page):
    (document,) = documents_for([page.pk, 999_999])
    assert document.answer == "Volunteer drivers may be paid the approved mileage rate.\nNo tax\nNo forms"
    assert document.question == page.question_text


def test_answer_text_drops_markup_and_entities():
    text = answer_text(
        "# Heading\n\nFish &amp; chips, <b>bold</b> [a link](https://example.org) `code`\n\n<script>x()</script>"
    )
    assert text == "Heading\nFish & chips, bold a link code"


def test_unpublishing_takes_an_answer_out(page, run_on_commit):
    with run_on_commit():
        page.unpublish()
    assert found("mileage") == set()
    assert not IndexEntry.objects.filter(page_id=page.pk).exists()


def test_deleting_an_answer_takes_it_out(page, run_on_commit):
    with run_on_commit():
        QuestionPage.objects.get(pk=page.pk).delete()
    assert found("mileage") == set()


def test_changing_visibility_reindexes(page, northshire, run_on_commit):
    assert found("mileage", EVERYONE) == {page.pk}
    page.visibility, page.network = "network", northshire
    with run_on_commit():
        page.save_revision().publish()
    assert found("mileage", EVERYONE) == set()
    assert found("mileage", Audience(network_ids=frozenset({northshire.pk}))) == {page.pk}
    with run_on_commit():
        QuestionPage.objects.get(pk=page.pk).save(update_fields=["visibility"])  # a direct save is seen too
    assert IndexEntry.objects.get(page_id=page.pk).network_id == northshire.pk


def test_editing_the_text_reindexes(page, run_on_commit):
    page.answer = "Room hire charges are a matter for the trustees."
    with run_on_commit():
        page.save_revision().publish()
    assert found("approved") == set()
    assert found("trustees") == {page.pk}


def test_moving_an_answer_to_another_topic_reindexes_its_topic(page, site_tree, run_on_commit):
    funding = make_topic("Funding")
    with run_on_commit():
        QuestionPage.objects.get(pk=page.pk).move(funding, pos="last-child")
    entry = IndexEntry.objects.get(page_id=page.pk)
    assert (entry.topic_id, entry.topic_title) == (funding.pk, "Funding")
    facets = get_backend().search("mileage", audience=EVERYONE).facets["topic"]
    assert [(v.value, v.label, v.count) for v in facets] == [(funding.pk, "Funding", 1)]


def test_renaming_a_topic_relabels_its_answers(page, topic, run_on_commit):
    topic.title = "Charity law and governance"
    with run_on_commit():
        topic.save_revision().publish()
    assert IndexEntry.objects.get(page_id=page.pk).topic_title == "Charity law and governance"


def test_pages_created_in_bulk_are_indexed(topic, erin, northshire, run_on_commit):
    items = [
        BulkQuestion(
            topic=topic,
            title=f"Imported answer {n}",
            question_text="About minibus permits?",
            answer=f"Section 19 minibus permits, case {n}.",
            expert=erin,
            visibility="network" if n % 2 else "public",
            network=northshire if n % 2 else None,
        )
        for n in range(5)
    ]
    with run_on_commit():
        page_ids = bulk_create_question_pages(items, batch_size=2)
    assert found("minibus") == set(page_ids)
    assert len(found("minibus", EVERYONE)) == 3


def test_the_index_job_is_idempotent_and_removes_what_is_no_longer_live(page):
    assert index_pages([page.pk, page.pk]) == 1
    assert index_pages([page.pk]) == 1
    assert IndexEntry.objects.count() == 1
    QuestionPage.objects.filter(pk=page.pk).update(live=False)  # no signal: the job alone must notice
    assert index_pages([page.pk]) == 0
    assert IndexEntry.objects.count() == 0


def test_search_rebuild_indexes_every_live_answer(page, topic, run_on_commit):
    other = make_published_page(topic=topic, title="Insurance for mileage claims")  # not committed: not indexed
    assert found("mileage") == {page.pk}
    out = io.StringIO()
    call_command("search_rebuild", stdout=out, stderr=io.StringIO())
    assert "Indexed 2 answers" in out.getvalue()
    assert found("mileage") == {page.pk, other.pk}
