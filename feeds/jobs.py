"""Background jobs of the feeds app: e-mail alerts. Each takes ids, re-reads, and is safe to run twice."""

from . import alerts
from .models import Follow


def send_answer_alerts(page_id):
    """E-mail the immediate followers of an answer just published (enqueued after commit)."""
    return alerts.answer_alerts_send(page_id=page_id)


def send_alert_digests():
    """The scheduled digests: daily ones from ``alerts.DIGEST_HOUR`` local time, weekly ones on Mondays.

    Run every few minutes; each digest is sent by the first run after its moment, and by no other.
    """
    return {
        "daily": alerts.digests_send(frequency=Follow.Frequency.DAILY),
        "weekly": alerts.digests_send(frequency=Follow.Frequency.WEEKLY),
    }
