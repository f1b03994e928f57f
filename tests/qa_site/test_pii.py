"""Likely personal data is flagged before publication, and publishing waits until each flag is cleared."""

import pytest
from django.core import mail
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from qa_site.knowledge import pii, services
from qa_site.knowledge.models import PersonalDataFlag, Question, QuestionEvent, QuestionPage
from tests.factories import ask

ANSWER = "You should check your governing document, minute the trustees' decision and tell your insurer. " * 3

# --- the patterns -------------------------------------------------------------------------------------------------

FLAGGED = [
    ("Write to jo.bloggs+charity@example.org.uk today", "email", "jo.bloggs+charity@example.org.uk"),
    ("Contact: JO@EXAMPLE.COM.", "email", "JO@EXAMPLE.COM"),
    ("call 07700 900123 today", "phone", "07700 900123"),
    ("mobile 07700900123", "phone", "07700900123"),
    ("+44 7700 900123", "phone", "+44 7700 900123"),
    ("+447700900123", "phone", "+447700900123"),
    ("0044 7700 900123", "phone", "0044 7700 900123"),
    ("ring +44 (0)20 7946 0000 after six", "phone", "+44 (0)20 7946 0000"),
    ("020 7946 0000", "phone", "020 7946 0000"),
    ("(01632) 960001", "phone", "(01632) 960001"),
    ("0161-496-0000", "phone", "0161-496-0000"),
    ("tel 01234 567890 2 times", "phone", "01234 567890"),
    ("freephone 0800 123 4567.", "phone", "0800 123 4567"),
    ("She lives at SW1A 1AA.", "postcode", "SW1A 1AA"),
    ("M1 1AE", "postcode", "M1 1AE"),
    ("B33 8TH", "postcode", "B33 8TH"),
    ("EC1A 1BB", "postcode", "EC1A 1BB"),
    ("W1A 0AX", "postcode", "W1A 0AX"),
    ("CR2 6XH", "postcode", "CR2 6XH"),
    ("DN55 1PT", "postcode", "DN55 1PT"),
    ("postcode sw1a 1aa", "postcode", "sw1a 1aa"),
    ("no space: LS11AA", "postcode", "LS11AA"),
    ("NI number QQ 12 34 56 C", "ni_number", "QQ 12 34 56 C"),
    ("QQ123456C", "ni_number", "QQ123456C"),
    ("AB 12 34 56 D on file", "ni_number", "AB 12 34 56 D"),
]

NOT_FLAGGED = [
    "VAT 20%",
    "VAT at 20% on £1,200",
    "section 1234",
    "section 185 of the Charities Act 2011",
    "between 2019 and 2020",
    "income of £60,000 in 2023",
    "on 01/04/2024",
    "01-04-2024",
    "at 09:00 on Monday",
    "£0.50 a mile",
    "0.5%",
    "charity number 1123456",
    "company number 01234567",
    "sort code 20-00-00",
    "Gift Aid 25p",
    "the A1 road",
    "SI 2013/2356",
    "Reg 2018/1234",
    "Article 6(1)(f)",
    "Form CH01",
    "COVID-19",
    "a 12-month lease",
    "123 456 7890",
    "up 5% to 07",
    "ISBN 0 19 852663 6",
    "B2B 2GO",
    "DA123456A",  # D never starts an NI number
    "at 12 34 56 b",  # lower case: a list, not an NI number
    "email us at the office",
    "user@localhost",
]


@pytest.mark.parametrize(("text", "kind", "matched"), FLAGGED)
def test_personal_data_is_found(text, kind, matched):
    assert [(k, m) for k, _, m in pii.find(text)] == [(kind, matched)]
    start = pii.find(text)[0][1]
    assert text[start : start + len(matched)] == matched


@pytest.mark.parametrize("text", NOT_FLAGGED)
def test_everyday_numbers_are_not_flagged(text):
    assert pii.find(text) == []


def test_an_email_address_is_not_also_a_phone_number_or_postcode():
    assert pii.find("07700900123@example.org") == [("email", 0, "07700900123@example.org")]


def test_scan_reports_field_kind_position_and_text():
    findings = pii.scan({"title": "Jo at M1 1AE", "answer_text": "Mail jo@example.org"})
    assert [(f.field, f.kind, f.start, f.text) for f in findings] == [
        ("title", "postcode", 6, "M1 1AE"),
        ("answer_text", "email", 5, "jo@example.org"),
    ]


mobiles = st.from_regex(r"7[0-9]{9}", fullmatch=True)


@settings(max_examples=200, deadline=None)
@given(number=mobiles, style=st.sampled_from(["0{a} {b}", "0{a}{b}", "+44 {a} {b}", "+44{a}{b}", "0044 {a} {b}"]))
def test_every_uk_mobile_is_flagged_however_written(number, style):
    written = style.format(a=number[:4], b=number[4:])
    text = f"Ring her on {written} please."
    assert [(k, m) for k, _, m in pii.find(text)] == [("phone", written)]


@settings(max_examples=300, deadline=None)
@given(n=st.integers(min_value=1, max_value=10**12), unit=st.sampled_from(["", "%", " hours", " pounds", "p"]))
def test_numbers_without_a_leading_zero_are_never_phones(n, unit):
    assert [kind for kind, _, _ in pii.find(f"The figure is {n}{unit} this year.")] == []


@settings(max_examples=200, deadline=None)
@given(
    area=st.sampled_from(["M", "B", "SW", "EC", "LS", "CR", "DN", "G"]),
    district=st.integers(min_value=1, max_value=99),
    sector=st.integers(min_value=0, max_value=9),
    unit=st.from_regex(r"[ABD-HJLNP-UW-Z]{2}", fullmatch=True),
)
def test_postcodes_are_flagged(area, district, sector, unit):
    postcode = f"{area}{district} {sector}{unit}"
    assert pii.find(f"Send it to {postcode} by Friday") == [("postcode", 11, postcode)]


# --- flags on an answer in review ---------------------------------------------------------------------------------


@pytest.fixture
def answered(run_on_commit, alice, northshire, topic, erin):
    question = ask(
        run_on_commit,
        alice,
        northshire,
        topic,
        title="Can we pay Jo, who lives at SW1A 1AA?",
        details="Jo (jo@example.org, 07700 900123) wants paying for training.",
    )
    return services.answer_submit(question_id=question.pk, expert=erin, body=ANSWER)


@pytest.fixture
def coordinator(client, colin):
    client.force_login(colin)
    return client


REDACTED = {
    "title": "Can we pay a trustee for training?",
    "question_text": "A trustee wants paying for training.",
    "answer_text": ANSWER,
}


def test_submitting_an_answer_flags_personal_data_in_the_question_and_answer(answered, erin):
    flags = list(answered.personal_data_flags.order_by("pk").values_list("field", "kind", "text", "start"))
    assert flags == [
        ("title", "postcode", "SW1A 1AA", 28),
        ("question_text", "email", "jo@example.org", 4),
        ("question_text", "phone", "07700 900123", 20),
    ]
    assert not PersonalDataFlag.objects.filter(cleared_at__isnull=False).exists()
    event = answered.events.get(action=QuestionEvent.Action.PII_FLAGGED)
    assert event.actor == erin
    assert "E-mail address “jo@example.org” in the question" in event.note


def test_private_questions_are_not_flagged(run_on_commit, alice, northshire, topic, erin, colin):
    question = ask(
        run_on_commit, alice, northshire, topic, details="Ring me on 07700 900123 about it.", visibility="private"
    )
    services.answer_submit(question_id=question.pk, expert=erin, body=ANSWER)
    assert not PersonalDataFlag.objects.exists()
    services.question_publish(
        question_id=question.pk, actor=colin, **Question.objects.get(pk=question.pk).publishable_copy()
    )
    assert Question.objects.get(pk=question.pk).status == Question.Status.PUBLISHED


def test_the_service_refuses_to_publish_uncleared_personal_data(answered, colin):
    with pytest.raises(services.PersonalDataError) as refused:
        services.question_publish(question_id=answered.pk, actor=colin, **answered.publishable_copy())
    message = str(refused.value)
    assert message.startswith("Not published: the copy still has 3 possible items of personal data to clear")
    assert "phone number “07700 900123” in the question" in message
    answered.refresh_from_db()
    assert answered.status == Question.Status.ANSWERED
    assert not QuestionPage.objects.exists()
    assert not answered.events.filter(action="published").exists()


def test_clearing_each_flag_as_not_personal_data_allows_publishing_and_is_audited(answered, colin, run_on_commit):
    for flag in answered.personal_data_flags.all():
        services.personal_data_flag_clear(flag_id=flag.pk, actor=colin)
    cleared = list(answered.personal_data_flags.values_list("resolution", "cleared_by"))
    assert cleared == [("not_personal", colin.pk)] * 3
    notes = list(answered.events.filter(action="pii_cleared").values_list("actor", "note"))
    assert (colin.pk, "Phone number “07700 900123” in the question: not personal data.") in notes
    assert len(notes) == 3
    with run_on_commit():
        services.question_publish(question_id=answered.pk, actor=colin, **answered.publishable_copy())
    assert QuestionPage.objects.get().question_text == "Jo (jo@example.org, 07700 900123) wants paying for training."


def test_clearing_twice_changes_nothing(answered, colin):
    flag = answered.personal_data_flags.first()
    services.personal_data_flag_clear(flag_id=flag.pk, actor=colin)
    services.personal_data_flag_clear(flag_id=flag.pk, actor=colin)
    assert answered.events.filter(action="pii_cleared").count() == 1


def test_only_coordinators_clear_flags(answered, erin, alice):
    flag = answered.personal_data_flags.first()
    for person in (erin, alice):
        with pytest.raises(services.TransitionError, match="Only coordinators"):
            services.personal_data_flag_clear(flag_id=flag.pk, actor=person)
    flag.refresh_from_db()
    assert not flag.is_cleared


def test_editing_the_text_out_clears_the_flag_and_new_personal_data_is_flagged(answered, colin):
    copy = {**answered.publishable_copy(), "question_text": "Jo wants paying for training. Post to M1 1AE."}
    services.answer_copy_save(question_id=answered.pk, actor=colin, **copy)
    flags = {f.text: f for f in answered.personal_data_flags.all()}
    assert flags["jo@example.org"].resolution == flags["07700 900123"].resolution == "removed"
    assert flags["jo@example.org"].cleared_by == colin
    assert not flags["SW1A 1AA"].is_cleared
    assert not flags["M1 1AE"].is_cleared
    assert flags["M1 1AE"].start == copy["question_text"].index("M1 1AE")
    assert answered.events.filter(action="pii_removed").count() == 2
    with pytest.raises(services.PersonalDataError, match="2 possible items"):
        services.question_publish(question_id=answered.pk, actor=colin, **copy)


def test_publishing_a_redacted_copy_records_the_flags_as_edited_out(answered, colin):
    services.question_publish(question_id=answered.pk, actor=colin, **REDACTED)
    assert set(answered.personal_data_flags.values_list("resolution", flat=True)) == {"removed"}
    assert QuestionPage.objects.get().title == REDACTED["title"]


def test_a_text_cleared_as_not_personal_stays_cleared_when_the_copy_is_saved_again(answered, colin):
    phone = answered.personal_data_flags.get(kind="phone")
    services.personal_data_flag_clear(flag_id=phone.pk, actor=colin)
    copy = {**REDACTED, "question_text": "Call the helpline, 07700 900123, for training advice."}
    services.answer_copy_save(question_id=answered.pk, actor=colin, **copy)
    phone.refresh_from_db()
    assert (phone.resolution, phone.start) == ("not_personal", copy["question_text"].index("07700"))
    services.question_publish(question_id=answered.pk, actor=colin, **copy)
    assert QuestionPage.objects.get().question_text == copy["question_text"]


# --- the coordinator's review screen ------------------------------------------------------------------------------


def test_review_screen_shows_each_flag_highlighted_in_context(coordinator, answered):
    body = coordinator.get(reverse("knowledge_admin:review", args=[answered.pk])).content.decode()
    assert "Possible personal data: 3 to clear before publishing" in body
    assert "Jo (<mark" in body
    assert ">jo@example.org</mark>, 07700 900123) wants paying" in body
    assert ">07700 900123</mark>) wants paying for training." in body
    assert body.count('data-testid="open-flag"') == 3
    assert body.count("Not personal data</button>") == 3
    queue = coordinator.get(reverse("knowledge_admin:review_queue")).content.decode()
    assert "<strong>3 to clear</strong>" in queue


def test_publishing_from_the_screen_is_refused_until_cleared_but_keeps_the_edits(coordinator, answered):
    url = reverse("knowledge_admin:review", args=[answered.pk])
    edited = {**REDACTED, "question_text": "Jo wants paying. Her NI number is QQ 12 34 56 C."}
    response = coordinator.post(url, {"action": "publish", **edited}, follow=True)
    body = response.content.decode()
    assert "Not published: the copy still has 1 possible item of personal data to clear" in body
    assert "national insurance number “QQ 12 34 56 C” in the question" in body
    assert not QuestionPage.objects.exists()
    answered.answer.refresh_from_db()
    assert answered.answer.publish_question_text == edited["question_text"]  # the edit was kept
    assert "Jo wants paying. Her NI number is QQ 12 34 56 C." in body


def test_clearing_from_the_screen_then_publishing(coordinator, answered, django_capture_on_commit_callbacks):
    url = reverse("knowledge_admin:review", args=[answered.pk])
    for flag in answered.personal_data_flags.all():
        response = coordinator.post(url, {"action": "clear", "flag": flag.pk})
        assert response["Location"] == url
    body = coordinator.get(url).content.decode()
    assert "Possible personal data: all cleared" in body
    assert "Cleared: not personal data" in body
    with django_capture_on_commit_callbacks(execute=True):
        response = coordinator.post(url, {"action": "publish", **answered.publishable_copy()})
    assert response.status_code == 302
    assert QuestionPage.objects.get().live
    assert mail.outbox[-1].subject.startswith("Answered:")


def test_saving_the_copy_checks_it_again(coordinator, answered):
    url = reverse("knowledge_admin:review", args=[answered.pk])
    response = coordinator.post(url, {"action": "save", **REDACTED}, follow=True)
    assert "Saved and checked again: nothing left that looks like personal data." in response.content.decode()
    assert answered.personal_data_flags.filter(cleared_at=None).count() == 0


@pytest.mark.parametrize("flag", ["", "abc", "999999"])
def test_clearing_a_flag_of_another_answer_or_junk_changes_nothing(coordinator, answered, flag):
    response = coordinator.post(
        reverse("knowledge_admin:review", args=[answered.pk]), {"action": "clear", "flag": flag}
    )
    assert response.status_code == 302
    assert answered.personal_data_flags.filter(cleared_at=None).count() == 3
