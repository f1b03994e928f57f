"""Receiving a reply by e-mail: check the address and the sender, then do exactly what the site's form does.

``reply_receive`` takes one inbound message (anymail's ``AnymailInboundMessage``, whichever provider sent it):

- the address it was sent to must be a reply address this site made (``reply_addresses.read_token``: signed,
  naming the question, the person and their role) and not expired;
- the sender must be that person (their account's e-mail address, the account active);
- the text written above the quoted message (``text.reply_text``) must pass the site's own form for that step;
- then the adviser's reply goes through ``question_clarify`` (the SLA clock resumes, the expert is e-mailed) and
  the expert's through ``question_request_clarification`` (a further request for detail: the clock pauses, the
  adviser is e-mailed) — the services the question pages call, with their checks (a question that has moved on
  refuses).

Anything else is refused with a short e-mail to the sender saying why (through the outbox, in the same
transaction), and changes nothing. Each message is recorded once (``InboundReply``), so a provider delivering it
again is a no-op; automatic replies (out-of-office, bounces) are ignored without an answer, so two robots never
write to each other.
"""

import hashlib
from dataclasses import dataclass
from email.utils import getaddresses

from django.contrib.auth import get_user_model
from django.db import transaction

from experts.forms import ClarificationForm
from experts.models import ExpertProfile
from qa_site import outbox
from qa_site.knowledge import reply_addresses, services
from qa_site.knowledge.forms import ClarificationReplyForm
from qa_site.knowledge.models import Question

from . import tasks
from .models import InboundReply
from .text import reply_text

Outcome = InboundReply.Outcome


@dataclass(frozen=True)
class Result:
    outcome: str
    reason: str = ""
    message: str = ""
    repeat: bool = False


class _Refused(Exception):
    def __init__(self, reason, message, *, question=None, role=""):
        super().__init__(message)
        self.reason, self.message, self.question, self.role = reason, message, question, role


def on_inbound(sender, event, esp_name, **kwargs):
    """anymail's ``inbound`` signal: one received message, normalised from whichever provider posted it."""
    reply_receive(message=event.message)


def _addresses(message, header):
    """The addresses in one header; ones that cannot be read are left out rather than failing the message."""
    values = message.get_all(header) or []
    return [address for _name, address in getaddresses([str(value) for value in values]) if "@" in address]


def sender_address(message):
    """The From address, or "" when the message has none that can be read."""
    found = _addresses(message, "From")
    return found[0].strip() if found else ""


def message_key(message):
    """A stable name for one message, so that a second delivery of it is recognised."""
    message_id = (message.get("Message-ID") or "").strip()
    if message_id:
        basis = f"id:{message_id}"
    else:
        parts = [message.get(name) or "" for name in ("From", "To", "Subject", "Date")]
        basis = "body:" + "\n".join([*parts, message.text or "", message.html or ""])
    return hashlib.sha256(basis.encode("utf-8", "surrogateescape")).hexdigest()


def is_automatic(message):
    """Out-of-office notices, bounces and list mail (RFC 3834 and the usual headers): never answered."""
    auto_submitted = (message.get("Auto-Submitted") or "no").strip().lower()
    precedence = (message.get("Precedence") or "").strip().lower()
    sender = sender_address(message).lower()
    return (
        auto_submitted != "no"
        or precedence in ("bulk", "junk", "list", "auto_reply")
        or any(message.get(name) for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress"))
        or sender.startswith(("mailer-daemon@", "postmaster@"))
    )


def _flowed(message):
    """Whether the plain-text part was sent as ``format=flowed`` (and with ``delsp=yes``)."""
    for part in message.walk():
        if part.get_content_type() == "text/plain" and not part.is_attachment():
            return {
                "flowed": (part.get_param("format") or "").lower() == "flowed",
                "delsp": (part.get_param("delsp") or "").lower() == "yes",
            }
    return {}


def _recipients(message):
    addresses = [message.envelope_recipient or ""]
    for header in ("To", "Cc", "Delivered-To", "X-Original-To"):
        addresses += _addresses(message, header)
    return [address for address in addresses if address]


@transaction.atomic
def reply_receive(*, message):
    """Add an e-mailed reply to its question's thread, or refuse it by e-mail; a repeat delivery does nothing."""
    record, created = InboundReply.objects.get_or_create(
        message_key=message_key(message), defaults={"outcome": Outcome.IGNORED}
    )
    if not created:
        return Result(outcome=record.outcome, reason=record.reason, repeat=True)
    if is_automatic(message):
        record.reason = "automatic"
        record.save(update_fields=["reason"])
        return Result(outcome=Outcome.IGNORED, reason="automatic")
    try:
        question = _add_to_thread(message)
    except _Refused as refusal:
        record.outcome, record.reason, record.question = Outcome.REFUSED, refusal.reason, refusal.question
        record.save(update_fields=["outcome", "reason", "question"])
        outbox.enqueue(
            tasks.send_refusal_email,
            to=sender_address(message),
            reason=refusal.message,
            question_id=refusal.question.pk if refusal.question else None,
            role=refusal.role,
        )
        return Result(outcome=Outcome.REFUSED, reason=refusal.reason, message=refusal.message)
    record.outcome, record.question = Outcome.ADDED, question
    record.save(update_fields=["outcome", "question"])
    return Result(outcome=Outcome.ADDED)


def _address(message):
    tokens = [token for token in map(reply_addresses.token_from_address, _recipients(message)) if token]
    if not tokens:
        raise _Refused("no_address", "It was not sent to a reply address of ours, so we do not know where it belongs.")
    try:
        return reply_addresses.read_token(tokens[0])
    except reply_addresses.ExpiredAddress as exc:
        raise _Refused("expired", str(exc)) from None
    except reply_addresses.ReplyAddressError as exc:
        raise _Refused("forged", str(exc)) from None


def _add_to_thread(message):
    address = _address(message)
    sender = sender_address(message)
    person = get_user_model().objects.filter(pk=address.user_id, is_active=True).first()
    if person is None or not person.email or person.email.strip().lower() != sender.lower():
        raise _Refused(
            "unknown_sender",
            f"It came from {sender}, which is not the address this reply address was made for. Please reply from "
            "the address our e-mail was sent to, or on the site.",
        )
    question = Question.objects.filter(pk=address.question_id).first()
    if question is None:
        raise _Refused("not_possible", "The question this reply address was made for no longer exists.")
    refuse = {"question": question, "role": address.role}
    if address.role == reply_addresses.EXPERT:
        profile = ExpertProfile.objects.filter(user=person).first()
        if profile is None or not profile.is_on_panel:
            raise _Refused("not_possible", "Only experts on our panel can send requests for more detail.", **refuse)
    text = reply_text(text=message.text, html=message.html, **_flowed(message))
    if not text:
        raise _Refused(
            "empty", "We found no reply in it: write your reply above the quoted message and send it again.", **refuse
        )
    try:
        if address.role == reply_addresses.ADVISER:
            form = ClarificationReplyForm(data={"reply": text})
            if form.is_valid():
                return services.question_clarify(
                    question_id=question.pk, actor=person, reply=form.cleaned_data["reply"]
                )
        else:
            form = ClarificationForm(data={"message": text})
            if form.is_valid():
                return services.question_request_clarification(
                    question_id=question.pk, expert=person, message=form.cleaned_data["message"]
                )
    except services.TransitionError as exc:
        raise _Refused("not_possible", str(exc), **refuse) from None
    errors = " ".join(error for field_errors in form.errors.values() for error in field_errors)
    raise _Refused("invalid", f"Your reply could not be added: {errors}", **refuse)
