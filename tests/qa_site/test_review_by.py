"""Published answers carry a review-by date; past it they come back to experts, who confirm or update them."""

import datetime as dt

import pytest
from django.core import mail
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from experts import reviews
from experts import services as panel
from experts.models import ExpertProfile
from experts.reviews import sweep as review_sweep
from qa_site.knowledge import services
from qa_site.knowledge.bulk import BulkQuestion, bulk_create_question_pages
from qa_site.knowledge.models import AnswerReview, KnowledgeSettings, QuestionEvent, QuestionPage, add_months
from qa_site.scheduling.schedule import JOBS
from tests.factories import UserFactory, ask, make_expert, make_published_page

UPDATE = "The rules changed this spring: trustees may now be paid for training if the governing document allows. " * 2
TODAY = dt.date(2026, 6, 15)


@pytest.fixture
def stale(topic, erin):
    """Erin's answer, checked two years ago and due for review a year ago."""
    page = make_published_page(topic=topic, title="Can we pay a trustee?", expert=erin)
    QuestionPage.objects.filter(pk=page.pk).update(
        checked_on=TODAY - dt.timedelta(days=730), review_by=TODAY - dt.timedelta(days=365)
    )
    return QuestionPage.objects.get(pk=page.pk)


def sweep(run_on_commit, today=TODAY):
    with run_on_commit():
        return reviews.sweep(today=today)


def test_months_are_added_on_the_same_day_or_the_months_last():
    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2024, 2, 29), 12) == dt.date(2025, 2, 28)
    assert add_months(dt.date(2026, 11, 15), 3) == dt.date(2027, 2, 15)


def test_publishing_sets_the_review_date_from_the_setting(run_on_commit, alice, northshire, topic, erin, colin):
    policy = KnowledgeSettings.load()
    policy.review_months = 6
    policy.save()
    question = ask(run_on_commit, alice, northshire, topic)
    services.answer_submit(question_id=question.pk, expert=erin, body=UPDATE)
    services.question_publish(
        question_id=question.pk, actor=colin, title="Paying trustees", question_text="May we?", answer_text=UPDATE
    )
    page = QuestionPage.objects.get()
    assert page.checked_on == timezone.localdate()
    assert page.review_by == add_months(timezone.localdate(), 6)


def test_a_page_made_in_the_editor_gets_a_review_date_when_cleaned(topic):
    page = make_published_page(topic=topic, title="Made by hand")
    assert page.review_by == add_months(page.checked_on, 12)


def test_the_sweep_is_scheduled_daily():
    assert ("experts.reviews.sweep", 24 * 60 * 60) in JOBS


def test_sweep_queues_only_answers_past_their_review_date_and_emails_the_expert_once(stale, topic, erin, run_on_commit):
    fresh = make_published_page(topic=topic, title="Still fresh", expert=erin)
    due_today = make_published_page(topic=topic, title="Due today", expert=erin)
    QuestionPage.objects.filter(pk=due_today.pk).update(review_by=TODAY)
    mail.outbox.clear()
    assert sweep(run_on_commit) == {"dated": 0, "queued": 2}
    queued = AnswerReview.objects.order_by("due_on")
    assert [(r.page_id, r.expert, r.status) for r in queued] == [(stale.pk, erin, "due"), (due_today.pk, erin, "due")]
    assert not AnswerReview.objects.filter(page=fresh).exists()
    assert [m.to for m in mail.outbox] == [["erin@example.test"]]
    assert mail.outbox[0].subject == "2 answers to review"
    assert "Can we pay a trustee?" in mail.outbox[0].body
    assert "Can we pay a trustee?" in mail.outbox[0].alternatives[0][0]
    assert "/experts/dashboard/#reviews" in mail.outbox[0].body
    event = stale.question.events.get(action=QuestionEvent.Action.REVIEW_DUE)
    assert event.expert == erin
    # Running again, or a late repeat of the e-mail job, does nothing more.
    assert sweep(run_on_commit) == {"dated": 0, "queued": 0}
    from experts.tasks import send_review_due

    send_review_due(list(queued.values_list("pk", flat=True)))
    assert len(mail.outbox) == 1
    assert AnswerReview.objects.count() == 2


def test_the_scheduled_job_runs_the_sweep(stale, run_on_commit):
    with run_on_commit():
        result = review_sweep()
    assert result["queued"] == 1


def test_the_sweep_reads_due_answers_through_its_index(stale):
    with transaction.atomic():
        if connection.vendor == "postgresql":  # on a table this small the planner would rather scan it
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL enable_seqscan = off")
        plan = reviews.due_for_review(TODAY).values("pk").explain()
    assert "questionpage_review_due" in plan


def test_an_answer_whose_expert_left_goes_to_everyone_on_its_topic(stale, topic, erin, colin, run_on_commit):
    ExpertProfile.objects.filter(user=erin).update(status=ExpertProfile.Status.RETIRED)
    fiona = make_expert(topics=[topic], user=UserFactory(email="fiona@example.test")).user
    gus = make_expert(topics=[topic], user=UserFactory(email="gus@example.test")).user
    make_expert(topics=[], user=UserFactory(email="off-topic@example.test"))
    mail.outbox.clear()
    sweep(run_on_commit)
    review = AnswerReview.objects.get()
    assert review.expert is None
    assert sorted(m.to[0] for m in mail.outbox) == ["fiona@example.test", "gus@example.test"]
    assert "its expert has left the panel" in mail.outbox[0].body
    # Either may take it; the first to act claims it.
    services.answer_review_submit(review_id=review.pk, expert=gus, body=UPDATE)
    review.refresh_from_db()
    assert (review.expert, review.status) == (gus, "submitted")
    with pytest.raises(services.TransitionError):
        services.answer_review_confirm(review_id=review.pk, expert=fiona)


def test_retiring_an_expert_hands_their_reviews_to_the_topic(stale, erin, colin, run_on_commit):
    sweep(run_on_commit)
    panel.expert_set_status(profile_id=erin.expert_profile.pk, status=ExpertProfile.Status.RETIRED, actor=colin)
    review = AnswerReview.objects.get()
    assert review.expert is None
    assert review.events.filter(action="review_due").count() == 2


def test_confirming_marks_the_answer_checked_today_and_due_again_later(stale, erin, run_on_commit, client):
    sweep(run_on_commit)
    review = AnswerReview.objects.get()
    with run_on_commit():
        services.answer_review_confirm(review_id=review.pk, expert=erin)
    page = QuestionPage.objects.get(pk=stale.pk)
    today = timezone.localdate()
    assert (page.checked_on, page.review_by, page.review_queued_at) == (today, add_months(today, 12), None)
    assert page.live
    review.refresh_from_db()
    assert (review.status, review.closed_by) == ("confirmed", erin)
    event = stale.question.events.get(action="review_confirmed")
    assert (event.actor, event.review) == (erin, review)
    assert f"Checked on {today:%d %b %Y}" in event.note
    assert f"Checked on {today:%-d %B %Y}" in client.get(page.url).content.decode()
    with pytest.raises(services.TransitionError, match="confirmed still correct"):
        services.answer_review_confirm(review_id=review.pk, expert=erin)
    assert sweep(run_on_commit) == {"dated": 0, "queued": 0}


def test_another_expert_cannot_act_on_a_review_that_is_not_theirs(stale, topic, run_on_commit):
    sweep(run_on_commit)
    other = make_expert(topics=[topic]).user
    review = AnswerReview.objects.get()
    with pytest.raises(services.TransitionError, match="another expert"):
        services.answer_review_confirm(review_id=review.pk, expert=other)
    with pytest.raises(services.TransitionError, match="another expert"):
        services.answer_review_submit(review_id=review.pk, expert=other, body=UPDATE)


def test_an_update_is_reviewed_and_published_over_the_page(stale, erin, colin, run_on_commit):
    sweep(run_on_commit)
    review = AnswerReview.objects.get()
    services.answer_review_submit(review_id=review.pk, expert=erin, body=UPDATE)
    page = QuestionPage.objects.get(pk=stale.pk)
    assert page.answer != UPDATE.strip()  # not until a coordinator publishes it
    mail.outbox.clear()
    with run_on_commit():
        services.answer_review_publish(
            review_id=review.pk,
            actor=colin,
            title="Can we pay a trustee now?",
            question_text=page.question_text,
            answer_text=UPDATE,
        )
    page = QuestionPage.objects.get(pk=stale.pk)
    today = timezone.localdate()
    assert (page.title, page.answer, page.checked_on, page.review_by) == (
        "Can we pay a trustee now?",
        UPDATE.strip(),
        today,
        add_months(today, 12),
    )
    assert page.live
    assert not page.has_unpublished_changes
    review.refresh_from_db()
    assert (review.status, review.closed_by) == ("updated", colin)
    assert list(review.events.values_list("action", flat=True)) == [
        "review_due",
        "update_submitted",
        "update_published",
    ]
    assert [m.to for m in mail.outbox] == [["erin@example.test"]]
    assert mail.outbox[0].subject == "Update published: Can we pay a trustee now?"


def test_an_update_with_personal_data_is_not_published_until_cleared(stale, erin, colin, run_on_commit):
    sweep(run_on_commit)
    review = AnswerReview.objects.get()
    services.answer_review_submit(review_id=review.pk, expert=erin, body=UPDATE + " Ring me on 07700 900123.")
    review.refresh_from_db()
    flag = review.personal_data_flags.get()
    assert (flag.kind, flag.field, flag.text) == ("phone", "answer_text", "07700 900123")
    with pytest.raises(services.PersonalDataError):
        services.answer_review_publish(review_id=review.pk, actor=colin, **review.publishable_copy())
    services.personal_data_flag_clear(flag_id=flag.pk, actor=colin)
    assert review.events.filter(action="pii_cleared", question=stale.question).count() == 1
    services.answer_review_publish(review_id=review.pk, actor=colin, **review.publishable_copy())
    assert "07700 900123" in QuestionPage.objects.get(pk=stale.pk).answer


def test_a_returned_update_goes_back_to_the_expert(stale, erin, colin, run_on_commit, client):
    sweep(run_on_commit)
    review = AnswerReview.objects.get()
    services.answer_review_submit(review_id=review.pk, expert=erin, body=UPDATE)
    mail.outbox.clear()
    with run_on_commit():
        services.answer_review_return(review_id=review.pk, actor=colin, comment="Please cite the new guidance.")
    review.refresh_from_db()
    assert (review.status, review.review_comment, review.answer_text) == (
        "due",
        "Please cite the new guidance.",
        UPDATE.strip(),
    )
    assert mail.outbox[0].subject == "Your update needs a change: Can we pay a trustee?"
    client.force_login(erin)
    body = client.get(reverse("experts:review", args=[review.pk])).content.decode()
    assert "Please cite the new guidance." in body
    assert "The rules changed this spring" in body  # the update is kept for editing


def test_an_older_draft_published_in_the_editor_does_not_reopen_the_review(stale, erin, run_on_commit):
    sweep(run_on_commit)
    page = QuestionPage.objects.get(pk=stale.pk)
    old = page.revisions.order_by("created_at").first()
    old.publish()  # an editor republishes a revision saved before the answer was queued
    page = QuestionPage.objects.get(pk=stale.pk)
    assert page.review_queued_at is not None
    assert sweep(run_on_commit) == {"dated": 0, "queued": 0}
    assert AnswerReview.objects.count() == 1


def test_pages_created_in_bulk_are_dated_then_queued_when_due(topic, run_on_commit):
    [page_id] = bulk_create_question_pages(
        [
            BulkQuestion(
                topic=topic,
                title="Imported answer",
                question_text="Q?",
                answer="A.",
                published_at=timezone.make_aware(dt.datetime(2024, 3, 1, 12)),
            )
        ]
    )
    assert QuestionPage.objects.get(pk=page_id).review_by is None
    assert sweep(run_on_commit) == {"dated": 1, "queued": 1}
    page = QuestionPage.objects.get(pk=page_id)
    assert page.review_by == dt.date(2025, 3, 1)
    review = AnswerReview.objects.get(page=page)
    assert (review.expert, review.events.get().question) == (None, None)


# --- the expert's dashboard and review page -------------------------------------------------------------------


def test_the_dashboard_lists_answers_to_review(stale, erin, client, run_on_commit):
    sweep(run_on_commit)
    client.force_login(erin)
    body = client.get(reverse("experts:dashboard")).content.decode()
    assert 'Answers to review <span class="count">(1)</span>' in body
    review = AnswerReview.objects.get()
    assert reverse("experts:review", args=[review.pk]) in body


def test_the_expert_confirms_from_the_review_page(stale, erin, client, run_on_commit):
    sweep(run_on_commit)
    review = AnswerReview.objects.get()
    client.force_login(erin)
    url = reverse("experts:review", args=[review.pk])
    page = client.get(url).content.decode()
    assert "Confirm it is still correct" in page
    assert "Register with the Charity Commission" in page
    response = client.post(url, {"action": "confirm"}, follow=True)
    assert "is marked checked today" in response.content.decode()
    review.refresh_from_db()
    assert review.status == "confirmed"


def test_the_expert_submits_an_update_from_the_review_page(stale, erin, client, run_on_commit, colin):
    sweep(run_on_commit)
    review = AnswerReview.objects.get()
    client.force_login(erin)
    url = reverse("experts:review", args=[review.pk])
    response = client.post(url, {"action": "submit", "body": "Too short."})
    assert response.status_code == 400
    assert "An answer needs at least 20 words." in response.content.decode()
    response = client.post(url, {"action": "submit", "body": UPDATE}, follow=True)
    assert "your update has gone to a coordinator" in response.content.decode()
    client.force_login(colin)
    queue = client.get(reverse("knowledge_admin:review_queue")).content.decode()
    assert reverse("knowledge_admin:review_update", args=[review.pk]) in queue
    screen = client.get(reverse("knowledge_admin:review_update", args=[review.pk])).content.decode()
    assert "The rules changed this spring" in screen
    assert "Publish the update" in screen


def test_other_experts_cannot_open_someone_elses_review(stale, topic, client, run_on_commit):
    sweep(run_on_commit)
    client.force_login(make_expert(topics=[topic]).user)
    assert client.get(reverse("experts:review", args=[AnswerReview.objects.get().pk])).status_code == 403


def test_coordinators_see_the_stale_queue_with_counts(stale, topic, erin, colin, client, run_on_commit):
    other = make_published_page(topic=topic, title="Another old answer", expert=UserFactory())
    QuestionPage.objects.filter(pk=other.pk).update(review_by=TODAY - dt.timedelta(days=3))
    sweep(run_on_commit)
    services.answer_review_submit(review_id=AnswerReview.objects.get(page=stale).pk, expert=erin, body=UPDATE)
    client.force_login(colin)
    body = client.get(reverse("knowledge_admin:stale")).content.decode()
    assert 'data-testid="count-with-expert">0<' in body
    assert 'data-testid="count-with-topic">1<' in body
    assert 'data-testid="count-with-coordinators">1<' in body
    assert "Another old answer" in body
    assert "<td>Charity law</td><td>1</td><td>1</td>" in body


def test_the_stale_queue_is_for_coordinators_only(client, alice, erin):
    for person in (alice, erin):
        client.force_login(person)
        assert client.get(reverse("knowledge_admin:stale")).status_code in (302, 403)


def test_coordinators_set_the_review_period_in_the_admin(client, colin):
    client.force_login(colin)
    response = client.get("/admin/settings/knowledge/knowledgesettings/", follow=True)
    assert "Review answers after (months)" in response.content.decode()
    url = response.redirect_chain[-1][0]  # the one settings record's form
    response = client.post(url, {"review_months": "0"})
    assert "Ensure this value is greater than or equal to 1." in response.content.decode()
    client.post(url, {"review_months": "18"})
    assert KnowledgeSettings.load().review_months == 18
