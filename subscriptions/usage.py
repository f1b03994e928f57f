"""Counting what networks use, per day: answers read, questions saved by a similar answer, widget views.

``record`` adds to a day's count with one atomic UPDATE (or an INSERT the first time that day).
"""

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from . import access
from .models import UsageCount

Kind = UsageCount.Kind


def record(*, network_ids, kind, amount=1, day=None):
    day = day or timezone.localdate()
    for network_id in network_ids:
        updated = UsageCount.objects.filter(network_id=network_id, day=day, kind=kind).update(count=F("count") + amount)
        if not updated:
            try:
                with transaction.atomic():
                    UsageCount.objects.create(network_id=network_id, day=day, kind=kind, count=amount)
            except IntegrityError:  # someone else created today's row first
                UsageCount.objects.filter(network_id=network_id, day=day, kind=kind).update(count=F("count") + amount)


def record_answer_read(*, user, answer_id):
    """Count a member reading an answer in full: once per person, answer and day, for each of their networks."""
    if not (user and user.is_authenticated):
        return
    networks = access.live_network_ids(user)
    if not networks:
        return
    day = timezone.localdate()
    key = f"usage:read:{user.pk}:{answer_id}:{day.isoformat()}"
    if key in _counted:  # this process counted it already today: no round trip to Redis on every view
        return
    if cache.add(key, 1, timeout=60 * 60 * 26):
        record(network_ids=networks, kind=Kind.ANSWER_READ, day=day)
    if len(_counted) >= 10_000:
        _counted.clear()
    _counted.add(key)


_counted = set()  # reads this process knows are counted (the cache says so for every process)
