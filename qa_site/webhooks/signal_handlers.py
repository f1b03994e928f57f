"""Hear the lower layers' signals (sent inside their transactions) and record the events for endpoints."""

from qa_site.knowledge import signals as knowledge_signals
from subscriptions import signals as subscription_signals

from . import events


def _question_published(sender, question, page, **kwargs):
    events.question_published(question, page)


def _clarification_requested(sender, question, **kwargs):
    events.clarification_requested(question)


def _renewal_invoice_issued(sender, subscription, invoice, **kwargs):
    events.renewal_due(subscription, invoice)


def register():
    knowledge_signals.question_published.connect(_question_published, dispatch_uid="webhooks.question_published")
    knowledge_signals.clarification_requested.connect(
        _clarification_requested, dispatch_uid="webhooks.clarification_requested"
    )
    subscription_signals.renewal_invoice_issued.connect(_renewal_invoice_issued, dispatch_uid="webhooks.renewal_due")
