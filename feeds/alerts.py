"""E-mail alerts: following topics and answers, the alerts and digests, one-click unsubscribing.

- **Who may follow**: signed-in people with subscriber access (``access.has_subscriber_access``): alerts
  are part of the subscription. An adviser's own open question is not followed here: the core already
  e-mails the asker when its answer is published, and from then on its page can be followed.
- **Immediate alerts**: when an answer is published (Wagtail's ``page_published``), a task recorded in the
  outbox with the publication e-mails the immediate followers of its topic (new answers only) and of the answer
  itself (each publication, so also when it is updated). Each alert is claimed by inserting an ``AlertSent`` row under a
  unique constraint first, so a job run twice, or two at once, sends each alert once.
- **Digests**: the scheduled job sends daily digests once ``DIGEST_HOUR`` (local time) has passed, and weekly
  ones on Mondays from that hour, listing the answers published since each follow's last digest, grouped by
  topic. Each follow is claimed by moving its ``digest_through`` forward under a row lock; what one run
  claimed, no other run sees. A digest covers at most one period: nothing piles up while the job is down.
- **What is sent**: only answers the recipient may see (``access.can_see_published``), to people who have
  subscriber access when it is sent. Anyone without it (their network's subscription ended) gets nothing,
  not even teasers; their follows stay, and digests resume, without a backlog, when access returns.
- **Delivery is at most once**: an alert is claimed before it is e-mailed; if sending fails it is logged,
  not retried.
- **Unsubscribing**: every alert carries a signed link (``django.core.signing``, no sign-in needed) and the
  ``List-Unsubscribe`` / ``List-Unsubscribe-Post`` headers of RFC 8058, so a mail client's one-click POST
  unfollows at once. An immediate alert's link unfollows that topic or answer; a digest's link stops that
  digest (the follows at its frequency made before it was sent).
"""

import datetime as dt
import logging
import time
import uuid
from collections import defaultdict

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from wagtail.signals import page_published

from qa_site import outbox
from qa_site.knowledge.models import QuestionPage, TopicPage
from qa_site.mail import send_templated
from subscriptions import access

from .models import AlertSent, Follow

log = logging.getLogger(__name__)

Frequency = Follow.Frequency
DIGEST_HOUR = 7  # local time (settings.TIME_ZONE): daily digests from then, weekly ones on Mondays
PERIODS = {Frequency.DAILY: dt.timedelta(days=1), Frequency.WEEKLY: dt.timedelta(days=7)}
# Answers published a moment before the digest hour may commit a moment after it: wait before reading them.
SETTLE = dt.timedelta(minutes=5)
BATCH = 200  # people per digest batch
UNSUBSCRIBE_SALT = "feeds.alerts.unsubscribe"
UNSUBSCRIBE_MAX_AGE = dt.timedelta(days=180)


class AlertError(Exception):
    """The follow cannot be made; the message says why, for people."""


class BadToken(Exception):
    """An unsubscribe link that was tampered with or has expired; the message says which."""


# --- Following ----------------------------------------------------------------------------------------------------


def follow_create(*, user, page, frequency=Frequency.IMMEDIATE):
    """``user`` follows a topic or a published answer (``page``); following again changes nothing."""
    if not access.has_subscriber_access(user):
        raise AlertError("E-mail alerts are for subscribers: your network needs a live subscription.")
    if isinstance(page, TopicPage) and page.live:
        follow, _ = Follow.objects.get_or_create(user=user, topic=page, defaults={"frequency": frequency})
    elif isinstance(page, QuestionPage) and page.live and access.can_see_published(user, page):
        follow, _ = Follow.objects.get_or_create(user=user, question_page=page, defaults={"frequency": frequency})
    else:
        raise AlertError("Only topics and published answers you can read can be followed.")
    return follow


def follow_set_frequency(*, follow, frequency):
    """Change how often a follow is e-mailed. Its next digest starts from now: nothing is sent twice."""
    Follow.objects.filter(pk=follow.pk).update(frequency=frequency, digest_through=timezone.now())
    follow.refresh_from_db()
    return follow


def follow_of(user, page):
    """``user``'s follow of ``page`` (a topic or an answer), or None."""
    if not user.is_authenticated:
        return None
    return Follow.objects.filter(Q(topic_id=page.pk) | Q(question_page_id=page.pk), user=user).first()


# --- Unsubscribe links --------------------------------------------------------------------------------------------


def unsubscribe_token(*, user_id, follow_id=None, frequency=None):
    """A signed token for one follow (immediate alerts) or one digest (all follows at ``frequency``)."""
    payload = {"u": user_id, "t": int(time.time())}
    if follow_id is not None:
        payload["f"] = follow_id
    else:
        payload["q"] = frequency
    return signing.dumps(payload, salt=UNSUBSCRIBE_SALT)


def unsubscribe_url(token):
    return settings.BASE_URL + reverse("alerts:unsubscribe", args=[token])


def unsubscribe_headers(url):
    """RFC 8058 one-click unsubscribe: a mail client POSTs ``List-Unsubscribe=One-Click`` to ``url``."""
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def follows_for_token(token):
    """The follows an unsubscribe token stands for (possibly none left). Raises ``BadToken``."""
    try:
        payload = signing.loads(token, salt=UNSUBSCRIBE_SALT, max_age=UNSUBSCRIBE_MAX_AGE)
    except signing.SignatureExpired:
        raise BadToken("This unsubscribe link has expired.") from None
    except signing.BadSignature:
        raise BadToken("This unsubscribe link is not valid: it may have been cut short or changed.") from None
    try:
        follows = Follow.objects.filter(user_id=int(payload["u"]))
        if "f" in payload:
            return follows.filter(pk=int(payload["f"]))
        issued = dt.datetime.fromtimestamp(int(payload["t"]), tz=dt.UTC)
        return follows.filter(frequency=Frequency(payload["q"]), created_at__lte=issued)
    except (KeyError, TypeError, ValueError):
        raise BadToken("This unsubscribe link is not valid.") from None


@transaction.atomic
def alerts_unsubscribe(*, token):
    """Unfollow what an unsubscribe token stands for; returns the titles unfollowed. Raises ``BadToken``."""
    follows = list(
        follows_for_token(token).select_related("topic", "question_page").select_for_update(of=("self",)).order_by("pk")
    )
    Follow.objects.filter(pk__in=[f.pk for f in follows]).delete()
    return [f.followed.title for f in follows]


# --- Immediate alerts ---------------------------------------------------------------------------------------------


def _on_answer_published(sender, instance, **kwargs):
    outbox.enqueue(answer_alerts_send, page_id=instance.pk)


def connect():
    """Called from the app's ready(): alert followers after each publication of an answer."""
    page_published.connect(_on_answer_published, sender=QuestionPage, dispatch_uid="feeds-alerts-published")


def _recipients(follows):
    """{user id: user} of the follows' people who may be e-mailed alerts at all, with access looked up in bulk."""
    users = {}
    for follow in follows:
        user = follow.user
        if user.is_active and user.email:
            users.setdefault(user.pk, user)
    access.remember_live_networks(users.values())
    return {pk: user for pk, user in users.items() if access.has_subscriber_access(user)}


def answer_alerts_send(*, page_id):
    """E-mail the immediate followers of an answer just published (and of its topic, if it is new).

    Safe to run twice: each (person, answer, publication) is claimed once. Returns how many were sent.
    """
    page = QuestionPage.objects.live().select_related("topic").filter(pk=page_id).first()
    if page is None:
        return 0
    is_new = page.first_published_at == page.last_published_at
    followed = Q(question_page=page) | Q(topic_id=page.topic_id) if is_new else Q(question_page=page)
    # user__expert_profile: the relation the experts app adds to the user, read by the access policy.
    follows = list(
        Follow.objects.filter(followed, frequency=Frequency.IMMEDIATE)
        .select_related("user", "user__expert_profile")
        # A follow of the answer itself (no topic) first: the more specific, for the e-mail's wording.
        .order_by(F("topic_id").asc(nulls_first=True), "pk")
    )
    users = _recipients(follows)
    chosen = {}
    for follow in follows:
        user = users.get(follow.user_id)
        if user is not None and follow.user_id not in chosen and access.can_see_published(user, page):
            chosen[follow.user_id] = follow
    if not chosen:
        return 0
    claim = uuid.uuid4()
    AlertSent.objects.bulk_create(
        [AlertSent(user_id=pk, page=page, published_at=page.last_published_at, claim=claim) for pk in chosen],
        ignore_conflicts=True,
    )
    mine = set(AlertSent.objects.filter(claim=claim).values_list("user_id", flat=True))
    sent = 0
    for user_id, follow in chosen.items():
        if user_id in mine:
            token = unsubscribe_token(user_id=user_id, follow_id=follow.pk)
            sent += _send(
                users[user_id],
                "feeds/alerts/answer",
                {"page": page, "follow": follow, "updated": not is_new},
                token,
            )
    return sent


def _send(user, template, context, token):
    url = unsubscribe_url(token)
    context = {"recipient": user, "unsubscribe_url": url, "alerts_path": reverse("alerts:index"), **context}
    try:
        send_templated(to=user.email, template=template, context=context, headers=unsubscribe_headers(url))
    except Exception:  # one bad address must not stop the others; the alert was claimed, so it is not retried
        log.exception("Alert e-mail to user %s failed", user.pk)
        return 0
    return 1


# --- Digests ------------------------------------------------------------------------------------------------------


def digest_cutoff(frequency, now):
    """The latest moment a digest at ``frequency`` was due, at or before ``now`` (less ``SETTLE``)."""
    local = timezone.localtime(now - SETTLE)
    moment = local.replace(hour=DIGEST_HOUR, minute=0, second=0, microsecond=0)
    if frequency == Frequency.WEEKLY:
        moment -= dt.timedelta(days=moment.weekday())
    if moment > local:
        moment -= PERIODS[frequency]
    return moment


def digests_send_due():
    """The scheduled job (every few minutes): the daily digests from ``DIGEST_HOUR`` local time, the weekly ones on
    Mondays. Each digest is sent by the first run after its moment, and by no other."""
    return {
        "daily": digests_send(frequency=Frequency.DAILY),
        "weekly": digests_send(frequency=Frequency.WEEKLY),
    }


def digests_send(*, frequency, now=None):
    """Send the digests at ``frequency`` that are due; returns how many were sent.

    Reads in batches of ``BATCH`` people, in a constant number of queries per batch however many follow.
    """
    now = now or timezone.now()
    cutoff = digest_cutoff(frequency, now)
    due = Follow.objects.filter(frequency=frequency, digest_through__lt=cutoff)
    sent = 0
    while True:
        user_ids = list(due.order_by("user_id").values_list("user_id", flat=True).distinct()[:BATCH])
        if not user_ids:
            return sent
        with transaction.atomic():
            # Locked in one order, so two runs at once wait for each other rather than deadlock; the waiting
            # run then re-reads the rows, finds them no longer due, and claims nothing.
            claimed = list(due.filter(user_id__in=user_ids).select_for_update().order_by("pk"))
            Follow.objects.filter(pk__in=[f.pk for f in claimed]).update(digest_through=cutoff)
        sent += _send_digests(claimed, frequency=frequency, cutoff=cutoff)


def _send_digests(follows, *, frequency, cutoff):
    earliest = cutoff - PERIODS[frequency]
    for follow in follows:
        follow.window_start = max(follow.digest_through, earliest)
    if not follows:
        return 0
    since = min(f.window_start for f in follows)
    topic_ids = {f.topic_id for f in follows if f.topic_id}
    page_ids = {f.question_page_id for f in follows if f.question_page_id}
    pages = list(
        QuestionPage.objects.live()
        .filter(
            Q(topic_id__in=topic_ids, first_published_at__gt=since, first_published_at__lte=cutoff)
            | Q(pk__in=page_ids, last_published_at__gt=since, last_published_at__lte=cutoff)
        )
        .select_related("topic")
        .order_by("topic__title", "topic_id", "-last_published_at", "pk")
    )
    if not pages:
        return 0
    by_topic = defaultdict(list)
    for page in pages:
        by_topic[page.topic_id].append(page)
    by_pk = {page.pk: page for page in pages}

    per_user = defaultdict(list)
    for follow in follows:
        per_user[follow.user_id].append(follow)
    people = (
        get_user_model()
        .objects.filter(pk__in=per_user, is_active=True)
        .exclude(email="")
        .select_related("expert_profile")  # read by the access policy, as above
    )
    users = {user.pk: user for user in people}
    access.remember_live_networks(users.values())

    sent = 0
    order = {page.pk: i for i, page in enumerate(pages)}
    for user_id, user_follows in per_user.items():
        user = users.get(user_id)
        if user is None or not access.has_subscriber_access(user):
            continue
        items = {}  # page id -> updated (published before this window) rather than new?
        for follow in user_follows:
            start = follow.window_start
            if follow.topic_id:
                for page in by_topic.get(follow.topic_id, ()):
                    if start < page.first_published_at <= cutoff:
                        items[page.pk] = False
            else:
                page = by_pk.get(follow.question_page_id)
                if page is not None and start < page.last_published_at <= cutoff:
                    items.setdefault(page.pk, page.first_published_at <= start)
        visible = sorted(
            (pk for pk in items if access.can_see_published(user, by_pk[pk])),
            key=order.__getitem__,
        )
        if not visible:
            continue
        groups = []
        for pk in visible:
            page = by_pk[pk]
            if not groups or groups[-1]["topic"].pk != page.topic_id:
                groups.append({"topic": page.topic, "items": []})
            groups[-1]["items"].append({"page": page, "updated": items[pk]})
        token = unsubscribe_token(user_id=user_id, frequency=frequency)
        context = {
            "groups": groups,
            "count": len(visible),
            "frequency": Frequency(frequency),
            "since": min(f.window_start for f in user_follows),
        }
        sent += _send(user, "feeds/alerts/digest", context, token)
    return sent
