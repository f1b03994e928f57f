"""Tasks the outbox tests enqueue by name, as domain code does: they record their calls in ``CALLS``."""

from django.core import mail

CALLS = []


def note(label):
    CALLS.append(label)


def fail(label):
    CALLS.append(label)
    raise RuntimeError(f"{label} went wrong")


def mail_then_fail(to):
    """Sends an e-mail, then fails: run again, it must not send the e-mail twice."""
    from qa_site.mail import send_templated

    CALLS.append(to)
    send_templated(to=to, template="experts/emails/application_received", context={"application": None, "path": "/"})
    if len(CALLS) < 3:
        raise RuntimeError("failed after sending")
    return len(mail.outbox)
