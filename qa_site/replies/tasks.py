"""The e-mail that tells someone why their e-mailed reply was not added (recorded in the outbox by services.py)."""

from django.urls import reverse

from qa_site.knowledge import reply_addresses
from qa_site.knowledge.models import Question
from qa_site.mail import send_templated


def send_refusal_email(*, to, reason, question_id=None, role=""):
    """Tell ``to`` why their reply was refused. The question is named only when the sender was its adviser or
    expert (``question_id`` is given only then)."""
    question = Question.objects.filter(pk=question_id).first() if question_id else None
    path = ""
    if question is not None:
        path = reverse(
            "experts:question" if role == reply_addresses.EXPERT else "knowledge:question", args=[question.pk]
        )
    send_templated(
        to=to,
        template="replies/emails/refused",
        context={"reason": reason, "question": question, "path": path},
        # RFC 3834: an automatic answer, which mail programs and our own inbound route must not answer again.
        headers={"Auto-Submitted": "auto-replied"},
    )
