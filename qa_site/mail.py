"""Send an e-mail as both plain text and HTML, from a trio of templates.

``send_templated(template="knowledge/emails/answer_published", ...)`` renders
``…_subject.txt``, ``….txt`` and ``….html`` with the same context. ``headers`` are extra message headers
(alerts add ``List-Unsubscribe``).

Sent from a job the outbox delivers, an e-mail is sent once: if the job runs again (its worker died after
sending, or it failed later on), the same e-mail to the same people is skipped.
"""

import hashlib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import Context
from django.template.loader import get_template, render_to_string

from qa_site.outbox import relay


def send_templated(*, to, template, context, headers=None):
    recipients = [to] if isinstance(to, str) else list(to)
    key = hashlib.sha256("\n".join([template, *sorted(recipients)]).encode()).hexdigest()
    if relay.mail_already_sent(key):
        return
    context = {"base_url": settings.BASE_URL, "site_name": settings.WAGTAIL_SITE_NAME, **context}
    # A subject is plain text, never HTML: rendered without autoescaping ("hall's", not "hall&#x27;s").
    subject_template = get_template(f"{template}_subject.txt").template
    subject = " ".join(subject_template.render(Context(context, autoescape=False)).split())
    text = render_to_string(f"{template}.txt", context)
    html = render_to_string(f"{template}.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=recipients, headers=headers)
    message.attach_alternative(html, "text/html")
    message.send()
    relay.mail_sent(key)
