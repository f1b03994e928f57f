"""Reply addresses: the e-mails that ask someone to act carry a signed, expiring, per-thread Reply-To address."""

import datetime as dt

from django.core import mail
from django.utils import timezone

from qa_site.knowledge import reply_addresses, services
from tests.factories import ask

from .conftest import DOMAIN


def test_clarification_request_email_carries_a_signed_reply_address_for_the_adviser(awaiting, alice):
    [message] = mail.outbox
    assert message.to == ["alice@example.test"]
    reply_to = message.extra_headers["Reply-To"]
    local, domain = reply_to.split("@")
    assert domain == DOMAIN
    assert local.startswith("reply+")
    assert len(local) <= 64
    found = reply_addresses.read_token(reply_addresses.token_from_address(reply_to))
    assert (found.question_id, found.user_id, found.role) == (awaiting.pk, alice.pk, reply_addresses.ADVISER)
    assert found.expires_on == timezone.localdate() + dt.timedelta(days=30)
    assert "Please reply to this e-mail, or here" in message.body
    assert "Write your reply above the quoted text" in message.body


def test_clarification_reply_email_carries_a_reply_address_for_the_expert(awaiting, alice, erin, run_on_commit):
    mail.outbox.clear()
    with run_on_commit():
        services.question_clarify(question_id=awaiting.pk, actor=alice, reply="Yes, bucket collections.")
    [message] = mail.outbox
    assert message.to == ["erin@example.test"]
    found = reply_addresses.read_token(reply_addresses.token_from_address(message.extra_headers["Reply-To"]))
    assert (found.question_id, found.user_id, found.role) == (awaiting.pk, erin.pk, reply_addresses.EXPERT)
    assert "reply to this e-mail" in message.body


def test_no_reply_address_while_reply_domain_is_unset(settings, run_on_commit, alice, northshire, topic, erin):
    settings.REPLY_DOMAIN = ""
    question = ask(run_on_commit, alice, northshire, topic)
    mail.outbox.clear()
    with run_on_commit():
        services.question_request_clarification(question_id=question.pk, expert=erin, message="Which year is it?")
    [message] = mail.outbox
    assert "Reply-To" not in message.extra_headers
    assert "reply to this e-mail" not in message.body
    assert "Please reply here, so that they can finish the answer" in message.body


def test_reply_address_is_short_case_blind_and_read_with_an_older_secret_key(settings):
    token = reply_addresses.make_token(question_id=10**12, user_id=10**12, role="e")
    assert len(reply_addresses.PREFIX + token) <= 64
    assert reply_addresses.read_token(token.upper()).question_id == 10**12
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-" + "x" * 50
    assert reply_addresses.read_token(token).user_id == 10**12
