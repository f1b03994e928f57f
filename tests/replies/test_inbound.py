"""Replying by e-mail: real MIME messages posted to the inbound webhooks land in the clarification thread exactly
as the site's forms would put them, or are refused by e-mail and change nothing."""

import base64
import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from qa_site.knowledge import services
from qa_site.knowledge.clock import deadlines
from qa_site.knowledge.models import Question, QuestionEvent, SLASettings
from qa_site.outbox.models import OutboxMessage
from qa_site.replies.models import InboundReply
from tests.factories import ask, make_published_page

from .conftest import DOMAIN, address

FIXTURES = Path(__file__).parent / "fixtures"
AUTH = "Basic " + base64.b64encode(b"inbound:test-inbound-secret").decode()
LONDON = ZoneInfo("Europe/London")
Status = Question.Status
Action = QuestionEvent.Action

ADVISER_REPLY = (
    "Yes, we claim on cash donations too: mostly bucket collections at the summer fete, about £1,200 a year.\n\n"
    "We keep a tally sheet for each collection, signed by two volunteers."
)
EXPERT_REQUEST = "Thank you. Are the bucket collections ever made by a paid fundraiser, or only by volunteers?"


def eml(name, *, to, sender):
    raw = (FIXTURES / name).read_bytes()
    return raw.replace(b"REPLY_ADDRESS", to.encode()).replace(b"SENDER_ADDRESS", sender.encode())


def post_mime(client, raw, **headers):
    headers.setdefault("HTTP_AUTHORIZATION", AUTH)
    return client.post(reverse("replies:raw_mime_inbound"), data=raw, content_type="message/rfc822", **headers)


def snapshot(question):
    """Everything a refused reply must leave as it was."""
    question.refresh_from_db()
    fields = ("status", "sla_running", "paused_at", "paused_seconds", "warn_at", "due_at", "updated_at")
    return {name: getattr(question, name) for name in fields} | {"events": question.events.count()}


# --- replies that land in the thread ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fixture", ["adviser_plain.eml", "adviser_html_only.eml", "adviser_gmail.eml", "adviser_outlook.eml"]
)
def test_advisers_reply_lands_in_the_thread_without_quotes_or_signature(
    fixture, client, awaiting, alice, run_on_commit
):
    mail.outbox.clear()
    raw = eml(fixture, to=address(awaiting, alice, "a"), sender="alice@example.test")
    with run_on_commit():
        response = post_mime(client, raw)
    assert (response.status_code, response.content) == (200, b"Received.\n")
    awaiting.refresh_from_db()
    assert awaiting.status == Status.ASSIGNED
    assert awaiting.sla_running is True
    assert awaiting.paused_at is None
    event = awaiting.events.order_by("pk").last()
    assert (event.action, event.actor, event.note) == (Action.CLARIFIED, alice, ADVISER_REPLY)
    # The expert is told, as when the adviser replies on the site.
    [told] = mail.outbox
    assert told.to == ["erin@example.test"]
    assert "We keep a tally sheet for each collection" in told.body
    assert InboundReply.objects.get().outcome == InboundReply.Outcome.ADDED


def test_advisers_reply_resumes_the_sla_clock_less_the_time_it_stood_still(
    client, replies_on, run_on_commit, alice, northshire, topic, erin, monkeypatch
):
    # Asked Monday 09:00, detail requested Monday 10:00, the e-mailed reply arrives Tuesday 11:00: 9 working hours.
    question = ask(run_on_commit, alice, northshire, topic)
    calendar = SLASettings.load().calendar()
    asked = dt.datetime(2026, 3, 9, 9, tzinfo=LONDON)
    warn, due = deadlines(submitted_at=asked, sla_hours=48, paused_seconds=0, warning_fraction=0.75, calendar=calendar)
    Question.objects.filter(pk=question.pk).update(submitted_at=asked, warn_at=warn, due_at=due)
    monkeypatch.setattr(timezone, "now", lambda: dt.datetime(2026, 3, 9, 10, tzinfo=LONDON))
    services.question_request_clarification(question_id=question.pk, expert=erin, message="Do you claim on cash?")
    monkeypatch.setattr(timezone, "now", lambda: dt.datetime(2026, 3, 10, 11, tzinfo=LONDON))
    raw = eml("adviser_plain.eml", to=address(question, alice, "a"), sender="Alice@Example.test")
    with run_on_commit():
        assert post_mime(client, raw).status_code == 200
    question.refresh_from_db()
    assert (question.status, question.sla_running, question.paused_seconds) == (Status.ASSIGNED, True, 9 * 3600)
    assert question.due_at == calendar.add_working_hours(due, 9)
    assert question.warn_at == calendar.add_working_hours(warn, 9)


def test_experts_reply_asks_the_adviser_again_as_the_question_page_would(client, awaiting, alice, erin, run_on_commit):
    with run_on_commit():
        services.question_clarify(question_id=awaiting.pk, actor=alice, reply="Yes, bucket collections.")
    mail.outbox.clear()
    raw = eml("expert_iphone.eml", to=address(awaiting, erin, "e"), sender="erin@example.test")
    with run_on_commit():
        assert post_mime(client, raw).status_code == 200
    awaiting.refresh_from_db()
    assert (awaiting.status, awaiting.sla_running) == (Status.AWAITING_CLARIFICATION, False)
    event = awaiting.events.order_by("pk").last()
    assert (event.action, event.actor, event.note) == (Action.CLARIFICATION_REQUESTED, erin, EXPERT_REQUEST)
    [told] = mail.outbox
    assert told.to == ["alice@example.test"]
    assert EXPERT_REQUEST in told.body


def test_reply_through_a_providers_webhook_is_normalised_by_anymail(client, awaiting, alice, run_on_commit):
    raw = eml("adviser_gmail.eml", to=address(awaiting, alice, "a"), sender="alice@example.test").decode()
    payload = {"FromFull": {"Email": "alice@example.test", "Name": "Alice"}, "RawEmail": raw, "MessageID": "pm-1"}
    with run_on_commit():
        response = client.post(
            reverse("replies:postmark_inbound_webhook"),
            data=json.dumps(payload),
            content_type="application/json",
            HTTP_AUTHORIZATION=AUTH,
        )
    assert response.status_code == 200
    assert awaiting.events.order_by("pk").last().note == ADVISER_REPLY


def test_a_second_delivery_of_the_same_message_changes_nothing(client, awaiting, alice, run_on_commit):
    raw = eml("adviser_plain.eml", to=address(awaiting, alice, "a"), sender="alice@example.test")
    with run_on_commit():
        assert post_mime(client, raw).status_code == 200
    before, sent = snapshot(awaiting), len(mail.outbox)
    with run_on_commit():
        response = post_mime(client, raw)
    assert response.status_code == 200
    assert snapshot(awaiting) == before
    assert len(mail.outbox) == sent
    assert InboundReply.objects.count() == 1


def test_automatic_replies_are_ignored_without_an_answer(client, awaiting, alice, run_on_commit):
    before = snapshot(awaiting)
    mail.outbox.clear()
    raw = eml("out_of_office.eml", to=address(awaiting, alice, "a"), sender="alice@example.test")
    with run_on_commit():
        assert post_mime(client, raw).status_code == 200
    assert snapshot(awaiting) == before
    assert mail.outbox == []
    assert InboundReply.objects.get().outcome == InboundReply.Outcome.IGNORED


# --- refusals: an e-mail saying why, and nothing changed --------------------------------------------------------


def _expired(question, person):
    return address(question, person, "a", today=timezone.localdate() - dt.timedelta(days=31))


def _forged(question, person):
    real = address(question, person, "a")
    local, domain = real.split("@")
    other = "b" if local[-1] != "b" else "c"
    return f"{local[:-1]}{other}@{domain}"


def _someone_elses(question, person):
    # A genuine address, but made for question 1 more than this one: its signature does not cover this id.
    local, domain = address(question, person, "a").split("@")
    parts = local.split("-")
    parts[0] = f"reply+{int(parts[0].removeprefix('reply+'), 36) + 1:x}"
    return f"{'-'.join(parts)}@{domain}"


@pytest.mark.parametrize(
    ("case", "fixture", "sender", "make_address", "reason", "says"),
    [
        (
            "unknown sender",
            "adviser_plain.eml",
            "bob@example.test",
            lambda q, p: address(q, p, "a"),
            "unknown_sender",
            "It came from bob@example.test, which is not the address this reply address was made for.",
        ),
        (
            "forged token",
            "adviser_plain.eml",
            "alice@example.test",
            _forged,
            "forged",
            "The address you replied to is not one this site made.",
        ),
        (
            "token for another question",
            "adviser_gmail.eml",
            "alice@example.test",
            _someone_elses,
            "forged",
            "The address you replied to is not one this site made.",
        ),
        (
            "expired token",
            "adviser_outlook.eml",
            "alice@example.test",
            _expired,
            "expired",
            "The address you replied to stopped working on",
        ),
        (
            "empty reply",
            "adviser_empty.eml",
            "alice@example.test",
            lambda q, p: address(q, p, "a"),
            "empty",
            "We found no reply in it: write your reply above the quoted message and send it again.",
        ),
        (
            "not a reply address",
            "adviser_plain.eml",
            "alice@example.test",
            lambda q, p: f"questions@{DOMAIN}",
            "no_address",
            "It was not sent to a reply address of ours",
        ),
    ],
)
def test_refused_replies_change_nothing_and_the_sender_is_told_why(
    case, fixture, sender, make_address, reason, says, client, awaiting, alice, bob, run_on_commit
):
    before = snapshot(awaiting)
    mail.outbox.clear()
    raw = eml(fixture, to=make_address(awaiting, alice), sender=sender)
    with run_on_commit():
        response = post_mime(client, raw)
    assert response.status_code == 200
    assert snapshot(awaiting) == before
    [refusal] = mail.outbox
    assert refusal.to == [sender]
    assert refusal.extra_headers["Auto-Submitted"] == "auto-replied"
    assert says in refusal.body
    assert "Reply-To" not in refusal.extra_headers
    record = InboundReply.objects.get()
    assert (record.outcome, record.reason) == (InboundReply.Outcome.REFUSED, reason)
    if reason in ("unknown_sender", "forged", "no_address", "expired"):
        # Someone we cannot match to the thread learns nothing about the question.
        assert awaiting.title not in refusal.body
        assert awaiting.title not in refusal.subject


@pytest.mark.parametrize("close", ["withdrawn", "closed as a duplicate", "answered"])
def test_reply_to_a_question_that_has_moved_on_is_refused(
    close, client, awaiting, alice, erin, colin, topic, run_on_commit
):
    if close == "withdrawn":
        services.question_withdraw(question_id=awaiting.pk, actor=alice)
    elif close == "closed as a duplicate":
        page = make_published_page(topic=topic, expert=erin)
        services.question_close_as_duplicate(question_id=awaiting.pk, actor=colin, duplicate_of=page)
    else:
        services.question_clarify(question_id=awaiting.pk, actor=alice, reply="Answered on the site.")
        services.answer_submit(question_id=awaiting.pk, expert=erin, body="A full answer. " * 10)
    before = snapshot(awaiting)
    mail.outbox.clear()
    raw = eml("adviser_gmail.eml", to=address(awaiting, alice, "a"), sender="alice@example.test")
    with run_on_commit():
        assert post_mime(client, raw).status_code == 200
    assert snapshot(awaiting) == before
    [refusal] = mail.outbox
    assert refusal.to == ["alice@example.test"]
    label = awaiting.get_status_display().lower()
    assert f"This question is now “{label}”, so that is no longer possible." in refusal.body
    assert refusal.subject == f"Your e-mailed reply was not added: {awaiting.title}"
    assert reverse("knowledge:question", args=[awaiting.pk]) in refusal.body


def test_expert_reply_too_short_for_the_sites_form_is_refused_with_its_message(
    client, awaiting, alice, erin, run_on_commit
):
    services.question_clarify(question_id=awaiting.pk, actor=alice, reply="Yes, bucket collections.")
    before = snapshot(awaiting)
    mail.outbox.clear()
    raw = (
        b"From: erin@example.test\r\nTo: " + address(awaiting, erin, "e").encode() + b"\r\nSubject: Re\r\n"
        b"Message-ID: <short-1@example.test>\r\n\r\nWhy?\r\n"
    )
    with run_on_commit():
        assert post_mime(client, raw).status_code == 200
    assert snapshot(awaiting) == before
    [refusal] = mail.outbox
    assert "Ensure this value has at least 10 characters (it has 4)." in refusal.body


def test_adviser_address_used_by_the_expert_is_refused(client, awaiting, alice, erin, run_on_commit):
    before = snapshot(awaiting)
    mail.outbox.clear()
    raw = eml("adviser_plain.eml", to=address(awaiting, alice, "a"), sender="erin@example.test")
    with run_on_commit():
        assert post_mime(client, raw).status_code == 200
    assert snapshot(awaiting) == before
    assert mail.outbox[0].to == ["erin@example.test"]
    assert InboundReply.objects.get().reason == "unknown_sender"


# --- bad requests to the webhook: a 4xx with a reason, never a 500 ------------------------------------------------


def test_webhook_wants_the_shared_secret(client, awaiting, alice):
    raw = eml("adviser_plain.eml", to=address(awaiting, alice, "a"), sender="alice@example.test")
    for headers in ({"HTTP_AUTHORIZATION": ""}, {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(b"x:y").decode()}):
        response = post_mime(client, raw, **headers)
        assert response.status_code == 401
        assert response.content.decode().startswith("Not authorised: Missing or invalid basic auth")
    assert not InboundReply.objects.exists()
    assert awaiting.events.order_by("pk").last().action == Action.CLARIFICATION_REQUESTED


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"", "This request could not be read as inbound mail from raw MIME."),
        (b"   \r\n", "This request could not be read as inbound mail from raw MIME."),
        (b"just some words, not a message", "This request could not be read as inbound mail from raw MIME."),
        (b"From: nobody\r\nTo: x\r\n\r\nhello", "An e-mail in this request has no sender (From) address."),
        (b"\xff\xfe\x00garbage\x00\r\n\r\n", "This request could not be read as inbound mail from raw MIME."),
        (
            b"From: a@example.test\r\nContent-Type: text/plain; charset=no-such-charset\r\n\r\n\xe9t\xe9",
            "An e-mail in this request could not be decoded.",
        ),
    ],
)
def test_unreadable_messages_get_a_400_with_a_reason(body, says, client, awaiting):
    response = post_mime(client, body)
    assert (response.status_code, response.content.decode().strip()) == (400, says)
    assert not InboundReply.objects.exists()


@pytest.mark.parametrize(
    "payload",
    ["not json", "[]", "{}", '{"RawEmail": 5}', '{"RecordType": "Bounce"}', '{"FromFull": "x", "ToFull": 3}'],
)
def test_unreadable_provider_payloads_get_a_400(payload, client, db):
    response = client.post(
        reverse("replies:postmark_inbound_webhook"),
        data=payload,
        content_type="application/json",
        HTTP_AUTHORIZATION=AUTH,
    )
    assert response.status_code == 400
    assert response.content.decode().strip() in (
        "This request could not be read as inbound mail from Postmark.",
        "An e-mail in this request has no sender (From) address.",
    )
    assert not InboundReply.objects.exists()


def test_inbound_urls_are_closed_while_no_secret_is_set(client, settings, db):
    settings.ANYMAIL = {"WEBHOOK_SECRET": ""}
    response = client.post(reverse("replies:raw_mime_inbound"), data=b"x", content_type="message/rfc822")
    assert response.status_code == 404
    assert "INBOUND_MAIL_SECRET is unset" in response.content.decode()


def test_a_provider_that_needs_more_settings_answers_404(client, db):
    response = client.post(
        reverse("replies:mailgun_inbound_webhook"), data={"x": "y"}, HTTP_AUTHORIZATION=AUTH
    )  # Mailgun needs its webhook signing key
    assert response.status_code == 404
    assert response.content.decode().strip() == "Inbound mail from Mailgun is not set up on this site."


def test_a_signing_provider_is_open_once_its_key_is_set(client, settings, db):
    """INBOUND_MAIL_SIGNING_KEY reaches anymail under the provider's own name: Mailgun then checks the signature
    (and refuses a post without one) instead of answering that it is not set up."""
    environ = {"INBOUND_MAIL_SIGNING_KEY": "key-abc123"}
    found = _settings_from_environment(environ)
    assert found["MAILGUN_WEBHOOK_SIGNING_KEY"] == found["RESEND_INBOUND_SECRET"] == "key-abc123"
    settings.ANYMAIL = {**settings.ANYMAIL, "MAILGUN_WEBHOOK_SIGNING_KEY": "key-abc123"}
    response = client.post(reverse("replies:mailgun_inbound_webhook"), data={"x": "y"}, HTTP_AUTHORIZATION=AUTH)
    assert response.status_code in (400, 403)
    assert "not set up" not in response.content.decode()


def _settings_from_environment(environ):
    """The ANYMAIL setting the base settings make from these environment variables (in a process of its own)."""
    import json
    import os
    import subprocess
    import sys

    code = "import json; from qa_site.settings import base; print(json.dumps(base.ANYMAIL))"
    env = {**os.environ, **environ}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_refusal_is_recorded_in_the_outbox_with_the_change(client, awaiting, alice):
    # Without running after-commit callbacks, the refusal waits in the outbox like any other side effect.
    raw = eml("adviser_empty.eml", to=address(awaiting, alice, "a"), sender="alice@example.test")
    assert post_mime(client, raw).status_code == 200
    message = OutboxMessage.objects.order_by("pk").last()
    assert message.job == "qa_site.replies.tasks.send_refusal_email"


@hypothesis_settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.one_of(
        st.binary(max_size=400),
        st.text(max_size=400).map(lambda text: text.encode("utf-8", "surrogatepass")),
        st.lists(
            st.sampled_from(
                [
                    b"From: alice@example.test\r\n",
                    b"From: \xff\r\n",
                    b"To: reply+1-1-a-zzzz-" + b"a" * 26 + b"@" + DOMAIN.encode() + b"\r\n",
                    b"Content-Type: multipart/alternative; boundary=x\r\n",
                    b"Content-Type: text/html; charset=utf-7\r\n",
                    b"Content-Transfer-Encoding: base64\r\n",
                    b"Auto-Submitted: no\r\n",
                    b"\r\n",
                    b"--x\r\n",
                    b"<p>hi</p>\r\n",
                    b"=E9=\r\n",
                ]
            ),
            max_size=14,
        ).map(b"".join),
    )
)
def test_junk_posted_as_a_message_never_gets_a_500_and_changes_nothing(client, awaiting, body):
    before = snapshot(awaiting)
    response = post_mime(client, body)
    assert response.status_code in (200, 400), response.content
    assert snapshot(awaiting) == before
