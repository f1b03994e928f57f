"""Redacting personal data in one click: exactly the flagged text becomes a labelled placeholder, shown before
publishing, and the flag is cleared by the change itself; on a published answer, the page changes too."""

import pytest
from django.test import Client
from django.urls import reverse

from qa_site.knowledge import generation, services
from qa_site.knowledge.admin_views import mark_placeholders
from qa_site.knowledge.models import Answer, AnswerReview, PersonalDataFlag, Question, QuestionEvent, QuestionPage
from qa_site.outbox.models import OutboxMessage
from tests.factories import ask, make_published_page

ANSWER = "You should check your governing document, minute the trustees' decision and tell your insurer. " * 3
DETAILS = "Jo (jo@example.org, 07700 900123) wants paying for training."


@pytest.fixture
def answered(run_on_commit, alice, northshire, topic, erin):
    question = ask(
        run_on_commit, alice, northshire, topic, title="Can we pay Jo, who lives at SW1A 1AA?", details=DETAILS
    )
    return services.answer_submit(question_id=question.pk, expert=erin, body=ANSWER)


@pytest.fixture
def coordinator(client, colin):
    client.force_login(colin)
    return client


def flag_of(question, kind):
    return question.personal_data_flags.get(kind=kind)


def copy_of(question):
    return Answer.objects.get(question=question).publishable_copy()


# --- the service --------------------------------------------------------------------------------------------------


def test_redacting_replaces_exactly_the_span_and_clears_the_flag(answered, colin):
    phone = flag_of(answered, "phone")
    done = services.personal_data_redact(flag_id=phone.pk, actor=colin)
    assert done.redacted == [phone]
    assert copy_of(answered)["question_text"] == "Jo (jo@example.org, [phone number]) wants paying for training."
    assert copy_of(answered)["title"] == "Can we pay Jo, who lives at SW1A 1AA?"
    phone.refresh_from_db()
    assert (phone.resolution, phone.cleared_by) == ("redacted", colin)
    assert phone.cleared_at is not None
    event = answered.events.get(action=QuestionEvent.Action.PII_REDACTED)
    assert (event.actor, event.note) == (
        colin,
        "Phone number “07700 900123” in the question: replaced with “[phone number]”.",
    )
    assert set(answered.personal_data_flags.filter(cleared_at=None).values_list("kind", flat=True)) == {
        "email",
        "postcode",
    }


def test_each_kind_has_its_own_label_and_later_flags_move_with_the_text(answered, colin):
    services.personal_data_redact(flag_id=flag_of(answered, "email").pk, actor=colin)
    services.personal_data_redact(flag_id=flag_of(answered, "postcode").pk, actor=colin)
    copy = copy_of(answered)
    assert copy["title"] == "Can we pay Jo, who lives at [postcode]?"
    assert copy["question_text"] == "Jo ([e-mail address], 07700 900123) wants paying for training."
    phone = flag_of(answered, "phone")
    assert phone.start == copy["question_text"].index("07700 900123")
    services.personal_data_redact(flag_id=phone.pk, actor=colin)
    assert copy_of(answered)["question_text"] == "Jo ([e-mail address], [phone number]) wants paying for training."


def test_a_national_insurance_number_is_labelled_as_such(run_on_commit, alice, northshire, topic, erin, colin):
    question = ask(run_on_commit, alice, northshire, topic, details="Her NI number is QQ 12 34 56 C, she says.")
    services.answer_submit(question_id=question.pk, expert=erin, body=ANSWER)
    services.personal_data_redact(flag_id=flag_of(question, "ni_number").pk, actor=colin)
    assert copy_of(question)["question_text"] == "Her NI number is [National Insurance number], she says."


def test_a_second_redaction_does_nothing_and_says_so(answered, colin):
    phone = flag_of(answered, "phone")
    services.personal_data_redact(flag_id=phone.pk, actor=colin)
    again = services.personal_data_redact(flag_id=phone.pk, actor=colin)
    assert (again.redacted, again.already) == ([], [phone])
    assert copy_of(answered)["question_text"] == "Jo (jo@example.org, [phone number]) wants paying for training."
    assert answered.events.filter(action="pii_redacted").count() == 1


def test_a_span_that_no_longer_matches_is_refused_and_nothing_changes(answered, colin):
    # The copy changed under the flag without being scanned again (as a concurrent edit would leave it).
    moved = "Jo wants paying for training; ring 07700 900123."
    Answer.objects.filter(question=answered).update(publish_question_text=moved)
    phone = flag_of(answered, "phone")
    with pytest.raises(services.RedactionError) as refused:
        services.personal_data_redact(flag_id=phone.pk, actor=colin)
    assert str(refused.value) == (
        "Not redacted: the question has changed since “07700 900123” was found in it. "
        "Nothing was changed; check the copy below."
    )
    assert copy_of(answered)["question_text"] == moved
    phone.refresh_from_db()
    assert not phone.is_cleared
    assert not answered.events.filter(action="pii_redacted").exists()


def test_only_coordinators_can_redact(answered, erin, alice):
    phone = flag_of(answered, "phone")
    for person in (erin, alice):
        with pytest.raises(services.TransitionError, match="Only coordinators"):
            services.personal_data_redact(flag_id=phone.pk, actor=person)
        with pytest.raises(services.TransitionError, match="Only coordinators"):
            services.personal_data_redact_all(question_id=answered.pk, actor=person)
    assert copy_of(answered)["question_text"] == DETAILS
    assert answered.personal_data_flags.filter(cleared_at=None).count() == 3


def test_scanning_again_after_an_edit_does_not_raise_a_redacted_flag_again(answered, colin):
    services.personal_data_redact(flag_id=flag_of(answered, "phone").pk, actor=colin)
    copy = {**copy_of(answered), "answer_text": ANSWER + " Thanks for asking."}
    services.answer_copy_save(question_id=answered.pk, actor=colin, **copy)
    assert answered.personal_data_flags.filter(kind="phone").count() == 1
    assert flag_of(answered, "phone").resolution == "redacted"
    assert answered.personal_data_flags.filter(cleared_at=None).count() == 2


def test_the_same_number_twice_is_two_flags_and_redacting_one_leaves_the_other_open(
    run_on_commit, alice, northshire, topic, erin, colin
):
    details = "Ring 07700 900123 by day or 07700 900123 at night."
    question = ask(run_on_commit, alice, northshire, topic, details=details)
    services.answer_submit(question_id=question.pk, expert=erin, body=ANSWER)
    first, second = question.personal_data_flags.order_by("start")
    services.personal_data_redact(flag_id=first.pk, actor=colin)
    text = copy_of(question)["question_text"]
    assert text == "Ring [phone number] by day or 07700 900123 at night."
    second.refresh_from_db()
    assert (second.is_cleared, second.start) == (False, text.index("07700"))
    first.refresh_from_db()
    assert (first.resolution, first.start) == ("redacted", 5)


def test_redacting_all_clears_every_open_flag_and_allows_publishing(answered, colin, run_on_commit):
    done = services.personal_data_redact_all(question_id=answered.pk, actor=colin)
    assert len(done.redacted) == 3
    copy = copy_of(answered)
    assert copy["title"] == "Can we pay Jo, who lives at [postcode]?"
    assert copy["question_text"] == "Jo ([e-mail address], [phone number]) wants paying for training."
    assert set(answered.personal_data_flags.values_list("resolution", flat=True)) == {"redacted"}
    with run_on_commit():
        services.question_publish(question_id=answered.pk, actor=colin, **copy)
    assert QuestionPage.objects.get().question_text == copy["question_text"]


def test_redacting_all_leaves_a_moved_flag_and_says_why(answered, colin):
    Answer.objects.filter(question=answered).update(publish_title="Jo lives at SW1A 1AA: can we pay her?")
    done = services.personal_data_redact_all(question_id=answered.pk, actor=colin)
    assert len(done.redacted) == 2
    assert [(flag.kind, reason) for flag, reason in done.refused] == [
        ("postcode", "the title has changed since “SW1A 1AA” was found in it")
    ]
    assert copy_of(answered)["title"] == "Jo lives at SW1A 1AA: can we pay her?"


def test_an_answer_returned_to_its_expert_cannot_be_redacted(answered, colin):
    services.answer_return(question_id=answered.pk, actor=colin, comment="Please add the insurer's view.")
    with pytest.raises(services.TransitionError, match="not waiting for review any more"):
        services.personal_data_redact(flag_id=flag_of(answered, "phone").pk, actor=colin)
    assert copy_of(answered)["question_text"] == DETAILS


# --- published answers --------------------------------------------------------------------------------------------


@pytest.fixture
def published(answered, colin, run_on_commit):
    """Published with the phone number cleared as "not personal data" (a mistake) and the rest redacted."""
    services.personal_data_flag_clear(flag_id=flag_of(answered, "phone").pk, actor=colin)
    services.personal_data_redact(flag_id=flag_of(answered, "email").pk, actor=colin)
    services.personal_data_redact(flag_id=flag_of(answered, "postcode").pk, actor=colin)
    with run_on_commit():
        services.question_publish(question_id=answered.pk, actor=colin, **copy_of(answered))
    return QuestionPage.objects.get(question=answered)


def test_redacting_after_publication_changes_the_published_page_without_publishing_it_again(published, colin, client):
    assert published.question_text == "Jo ([e-mail address], 07700 900123) wants paying for training."
    before = generation.current()
    revisions = published.revisions.count()
    queued = OutboxMessage.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    phone = flag_of(published.question, "phone")
    done = services.personal_data_redact(flag_id=phone.pk, actor=colin)
    assert done.page_changed is True
    page = QuestionPage.objects.get(pk=published.pk)
    expected = "Jo ([e-mail address], [phone number]) wants paying for training."
    assert page.question_text == expected
    assert copy_of(published.question)["question_text"] == expected
    assert page.revisions.count() == revisions + 1
    assert page.live_revision == page.latest_revision
    assert page.live_revision.content["question_text"] == expected
    assert not page.has_unpublished_changes
    assert page.last_published_at == published.last_published_at  # no new publication: followers are not alerted
    assert generation.current() != before  # every cached page and feed built from it is stale
    assert not OutboxMessage.objects.filter(pk__gt=queued, job__contains="alert").exists()
    body = client.get(page.url).content.decode()
    assert "Jo ([e-mail address], [phone number]) wants paying for training." in body
    assert "07700 900123" not in body
    event = published.question.events.get(action="pii_redacted", note__contains="07700")
    assert (
        event.note
        == "Phone number “07700 900123” in the question: replaced with “[phone number]” (also on the published page)."
    )


def test_a_published_page_edited_since_is_not_redacted(published, colin):
    QuestionPage.objects.filter(pk=published.pk).update(question_text="Jo (07700 900123) wants paying.")
    with pytest.raises(services.RedactionError, match="the published page's question has changed since"):
        services.personal_data_redact(flag_id=flag_of(published.question, "phone").pk, actor=colin)
    assert QuestionPage.objects.get(pk=published.pk).question_text == "Jo (07700 900123) wants paying."
    assert (
        copy_of(published.question)["question_text"] == "Jo ([e-mail address], 07700 900123) wants paying for training."
    )


def test_the_question_screen_redacts_a_published_answer(coordinator, published):
    url = reverse("knowledge_admin:question", args=[published.question_id])
    body = coordinator.get(url).content.decode()
    assert "Possible personal data in the published answer" in body
    assert body.count("Redact from the published page</button>") == 1  # the one cleared as not personal data
    phone = flag_of(published.question, "phone")
    body = coordinator.post(url, {"action": "redact", "flag": phone.pk}, follow=True).content.decode()
    assert "Redacted here and on the published page: Phone number “07700 900123” in the question is now" in body
    assert "Redact from the published page</button>" not in body
    expected = "Jo ([e-mail address], [phone number]) wants paying for training."
    assert QuestionPage.objects.get(pk=published.pk).question_text == expected


@pytest.fixture
def update(topic, erin, run_on_commit):
    """An expert's update to a published answer, waiting for coordinators, whose title the page shows too."""
    page = make_published_page(topic=topic, title="Can we pay Jo at SW1A 1AA?", expert=erin)
    review = AnswerReview.objects.create(page=page, expert=erin, due_on=page.review_by or page.checked_on)
    services.answer_review_submit(review_id=review.pk, expert=erin, body=ANSWER + " Ring me on 07700 900123.")
    return AnswerReview.objects.get(pk=review.pk)


def test_redacting_an_update_reaches_the_live_page_where_it_shows_the_same_text(update, colin):
    postcode = update.personal_data_flags.get(kind="postcode")
    phone = update.personal_data_flags.get(kind="phone")
    assert services.personal_data_redact(flag_id=phone.pk, actor=colin).page_changed is False
    assert services.personal_data_redact(flag_id=postcode.pk, actor=colin).page_changed is True
    update.refresh_from_db()
    assert update.answer_text == ANSWER + " Ring me on [phone number]."
    assert update.title == "Can we pay Jo at [postcode]?"
    page = QuestionPage.objects.get(pk=update.page_id)
    assert (page.title, page.draft_title) == ("Can we pay Jo at [postcode]?", "Can we pay Jo at [postcode]?")
    assert "[phone number]" not in page.answer  # the page's answer is the old one until the update is published
    assert update.events.filter(action="pii_redacted").count() == 2


# --- the review screen --------------------------------------------------------------------------------------------


def test_the_screen_redacts_a_flag_and_shows_the_placeholder_in_the_preview(coordinator, answered):
    url = reverse("knowledge_admin:review", args=[answered.pk])
    phone = flag_of(answered, "phone")
    response = coordinator.post(url, {"action": "redact", "flag": phone.pk})
    assert response["Location"] == url
    body = coordinator.get(url).content.decode()
    assert "Redacted: Phone number “07700 900123” in the question is now “[phone number]”." in body
    assert (
        'Jo (jo@example.org, <mark class="redacted" style="background:#c6ecd0;padding:0 2px">[phone number]</mark>)'
        in body
    )
    assert "Possible personal data: 2 to clear before publishing" in body
    assert body.count('data-testid="redacted-flag"') == 1
    assert "Cleared: redacted, “<s>07700 900123</s>” replaced with “[phone number]”<br><small>by Colin" in body
    assert "Jo (jo@example.org, [phone number]) wants paying for training.</textarea>" in body


def test_the_screen_offers_redact_on_each_open_flag_and_redact_all(coordinator, answered):
    body = coordinator.get(reverse("knowledge_admin:review", args=[answered.pk])).content.decode()
    assert body.count('name="action" value="redact"') == 3
    assert "Redact all 3</button>" in body


def test_a_double_post_redacts_once_and_says_so(coordinator, answered):
    url = reverse("knowledge_admin:review", args=[answered.pk])
    phone = flag_of(answered, "phone")
    coordinator.post(url, {"action": "redact", "flag": phone.pk})
    body = coordinator.post(url, {"action": "redact", "flag": phone.pk}, follow=True).content.decode()
    assert "Nothing to do: Phone number “07700 900123” in the question was already redacted." in body
    assert copy_of(answered)["question_text"] == "Jo (jo@example.org, [phone number]) wants paying for training."
    assert answered.events.filter(action="pii_redacted").count() == 1


def test_a_stale_span_is_refused_on_the_screen_with_a_message(coordinator, answered):
    moved = "Jo wants paying for training; ring 07700 900123."
    Answer.objects.filter(question=answered).update(publish_question_text=moved)
    url = reverse("knowledge_admin:review", args=[answered.pk])
    response = coordinator.post(url, {"action": "redact", "flag": flag_of(answered, "phone").pk}, follow=True)
    assert response.redirect_chain == [(url, 302)]
    assert (
        "Not redacted: the question has changed since “07700 900123” was found in it. Nothing was changed; "
        "check the copy below." in response.content.decode()
    )
    assert copy_of(answered)["question_text"] == moved


def test_redact_all_on_the_screen(coordinator, answered):
    url = reverse("knowledge_admin:review", args=[answered.pk])
    body = coordinator.post(url, {"action": "redact_all"}, follow=True).content.decode()
    assert body.count("Redacted: ") == 3
    assert "Possible personal data: all cleared" in body
    assert body.count('<mark class="redacted"') == 3


def test_redacting_an_update_on_its_screen(coordinator, update):
    url = reverse("knowledge_admin:review_update", args=[update.pk])
    phone = update.personal_data_flags.get(kind="phone")
    body = coordinator.post(url, {"action": "redact", "flag": phone.pk}, follow=True).content.decode()
    assert "Redacted: Phone number “07700 900123” in the answer is now “[phone number]”." in body
    assert 'Ring me on <mark class="redacted"' in body


@pytest.mark.parametrize("flag", ["", "abc", "999999", "9" * 5000])
def test_redacting_junk_changes_nothing(coordinator, answered, flag):
    url = reverse("knowledge_admin:review", args=[answered.pk])
    response = coordinator.post(url, {"action": "redact", "flag": flag}, follow=True)
    assert "That flag does not belong to this answer." in response.content.decode()
    assert not PersonalDataFlag.objects.filter(resolution="redacted").exists()


def test_a_flag_of_another_answer_is_not_redacted_here(coordinator, answered, update):
    url = reverse("knowledge_admin:review", args=[answered.pk])
    other = update.personal_data_flags.first()
    response = coordinator.post(url, {"action": "redact", "flag": other.pk}, follow=True)
    assert "That flag does not belong to this answer." in response.content.decode()
    assert not PersonalDataFlag.objects.filter(resolution="redacted").exists()


def test_redacting_needs_the_csrf_token(answered, colin):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(colin)
    url = reverse("knowledge_admin:review", args=[answered.pk])
    response = browser.post(url, {"action": "redact", "flag": flag_of(answered, "phone").pk})
    assert response.status_code == 403
    assert copy_of(answered)["question_text"] == DETAILS


def test_non_coordinators_cannot_redact_on_the_screen(client, answered, alice, erin):
    url = reverse("knowledge_admin:review", args=[answered.pk])
    for person in (alice, erin):
        client.force_login(person)
        response = client.post(url, {"action": "redact_all"})
        assert response.status_code in (302, 403)
    assert copy_of(answered)["question_text"] == DETAILS
    assert answered.personal_data_flags.filter(cleared_at=None).count() == 3
    assert Question.objects.get(pk=answered.pk).status == Question.Status.ANSWERED


# --- the preview's highlighting -----------------------------------------------------------------------------------


def test_placeholders_are_marked_in_text_but_never_inside_a_tag():
    html = '<p>Ring <a href="https://example.org/" title="[phone number]">[phone number]</a> or [postcode].</p>'
    assert mark_placeholders(html) == (
        '<p>Ring <a href="https://example.org/" title="[phone number]">'
        '<mark class="redacted" style="background:#c6ecd0;padding:0 2px">[phone number]</mark></a> or '
        '<mark class="redacted" style="background:#c6ecd0;padding:0 2px">[postcode]</mark>.</p>'
    )
