"""The one access policy. Every page, listing, search, feed and job asks here.

Rules (see DESIGN.md, "Access"):

- Coordinators (platform staff, ``is_staff``) may see and manage everything.
- An adviser has subscriber access while one of their networks has a live
  subscription (trial, active, or past due within its period).
- Question visibility: ``public`` answers are listed to everyone (teaser) and
  read in full by subscribers; ``network`` answers exist only for members of
  that network; ``private`` questions never leave the asker, their expert and
  coordinators.
"""

import time

from django.core.cache import cache
from django.db import models
from django.db.models import Exists, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from .models import Membership, Network, Subscription


class Visibility(models.TextChoices):
    PUBLIC = "public", "Everyone — shared in the knowledge base, your name and organisation never shown"
    NETWORK = "network", "My network only — shared with members of my network"
    PRIVATE = "private", "Private — only me, the expert and the coordinators"


VISIBILITY_SHORT_LABELS = {
    Visibility.PUBLIC: "Public",
    Visibility.NETWORK: "Network only",
    Visibility.PRIVATE: "Private",
}

_CACHE_ATTR = "_qa_access_cache"


def _cache(user):
    cache = getattr(user, _CACHE_ATTR, None)
    if cache is None:
        cache = {}
        setattr(user, _CACHE_ATTR, cache)
    return cache


def forget(user):
    """Drop what this policy remembered about ``user`` (after memberships change)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def is_coordinator(user):
    return bool(user and user.is_authenticated and user.is_active and user.is_staff)


def live_network_ids(user):
    """Ids of the networks through which ``user`` has access today."""
    if not (user and user.is_authenticated and user.is_active):
        return frozenset()
    cache = _cache(user)
    if "live_networks" not in cache:
        live = Subscription.objects.live().values("network_id")
        cache["live_networks"] = frozenset(
            Membership.objects.filter(user=user, network_id__in=live).values_list("network_id", flat=True)
        )
    return cache["live_networks"]


def remember_live_networks(users):
    """Look up ``live_network_ids`` for many users in one query, for jobs that check many recipients."""
    pending = [u for u in users if u.is_active and "live_networks" not in _cache(u)]
    if not pending:
        return
    found = {user.pk: set() for user in pending}
    live = Subscription.objects.live().values("network_id")
    for user_id, network_id in Membership.objects.filter(user__in=pending, network_id__in=live).values_list(
        "user_id", "network_id"
    ):
        found[user_id].add(network_id)
    for user in pending:
        _cache(user)["live_networks"] = frozenset(found[user.pk])


SNAPSHOT_SECONDS = 50  # in the shared cache…
SNAPSHOT_LOCAL_SECONDS = 10  # … and in each process: a change no signal announces shows within a minute
_local_snapshots = {}  # user id -> (snapshot, until)


def _snapshot_key(user_id):
    return f"access-snapshot:{user_id}"


def snapshot(user):
    """What this policy knows of a signed-in ``user``, from the cache: ``networks`` (sorted live network ids),
    ``expert`` (on the panel) and ``network_admin`` (admin of any network). Reading it also primes the answers
    ``live_network_ids`` and ``is_panel_expert`` give for the rest of the request.

    Used where every request counts (pages served from the cache). Changes to a person's memberships, their
    networks' subscriptions, their expert profile or their account drop it (``forget_snapshots``): at once in the
    process that made the change, within ``SNAPSHOT_LOCAL_SECONDS`` in the others; a subscription that ends by the
    calendar ends here within ``SNAPSHOT_SECONDS + SNAPSHOT_LOCAL_SECONDS`` (a minute).
    """
    key = _snapshot_key(user.pk)
    now = time.monotonic()
    found = _local_snapshots.get(user.pk)
    data = found[0] if found is not None and found[1] > now else cache.get(key)
    if data is None:
        forget(user)
        networks = sorted(live_network_ids(user))
        data = {
            "networks": networks,
            "expert": is_panel_expert(user),
            "network_admin": Membership.objects.filter(user=user, role=Membership.Role.ADMIN).exists(),
            # Through the relation the core adds to the user (this layer does not import it): only asked when the
            # person cannot ask now, so that their earlier questions stay within reach.
            "asked": bool(networks) or user.questions_asked.exists(),
        }
        cache.set(key, data, SNAPSHOT_SECONDS)
    else:
        memo = _cache(user)
        memo["live_networks"] = frozenset(data["networks"])
        memo["expert"] = data["expert"]
    if len(_local_snapshots) > 10_000:
        _local_snapshots.clear()
    _local_snapshots[user.pk] = (data, now + SNAPSHOT_LOCAL_SECONDS)
    return data


def lapsed_networks(user):
    """The networks ``user`` belongs to that give them no access today, for telling them why and who can renew:
    ``[{"network", "ended_on" (the last day of access, or None if it never subscribed), "admins" (users)}]``."""
    live = live_network_ids(user)
    found = []
    for membership in Membership.objects.filter(user=user).exclude(network_id__in=live).select_related("network"):
        network = membership.network
        last = Subscription.objects.filter(network=network).order_by("-access_until").first()
        admins = [
            admin.user
            for admin in Membership.objects.filter(network=network, role=Membership.Role.ADMIN)
            .select_related("user")
            .order_by("user__first_name", "user__email")
        ]
        found.append({"network": network, "ended_on": last.access_until if last else None, "admins": admins})
    return found


def forget_snapshots(user_ids):
    user_ids = list(user_ids)
    for user_id in user_ids:
        _local_snapshots.pop(user_id, None)
    cache.delete_many([_snapshot_key(user_id) for user_id in user_ids])


def forget_network_snapshots(network_id):
    """After a change to a network's subscription: its members' snapshots."""
    forget_snapshots(Membership.objects.filter(network_id=network_id).values_list("user_id", flat=True))


def is_panel_expert(user):
    """Is ``user`` on the expert panel (active or paused)? Experts read the whole knowledge base.

    Read through the ``expert_profile`` relation that the experts app adds to the
    user, so that this lower layer never imports it.
    """
    if not (user and user.is_authenticated and user.is_active):
        return False
    cache = _cache(user)
    if "expert" not in cache:
        profile = getattr(user, "expert_profile", None)
        cache["expert"] = bool(profile and profile.is_on_panel)
    return cache["expert"]


def has_subscriber_access(user):
    """May ``user`` read full answers in the shared knowledge base?"""
    return is_coordinator(user) or bool(live_network_ids(user)) or is_panel_expert(user)


def networks_for_asking(user):
    """The networks ``user`` may ask a question through, as a queryset."""
    return Network.objects.filter(pk__in=live_network_ids(user)).order_by("name")


def can_ask(user, network=None):
    ids = live_network_ids(user)
    if network is None:
        return bool(ids)
    return network.pk in ids


def allowance(network):
    """How many more questions ``network`` may ask this period: None for unlimited, 0 when used up.

    Returns (left, subscription) — the subscription tells the limit and when it renews.
    """
    subscription = network.current_subscription
    if subscription is None:
        return 0, None
    return subscription.allowance_left, subscription


def network_has_feature(network, feature):
    """Does the network's plan include ``feature`` ("widgets", "private_feeds", "full_answers_in_widgets")?"""
    subscription = network.current_subscription
    return bool(subscription and getattr(subscription.plan, feature))


PLAN_FEATURES = ("widgets", "private_feeds", "full_answers_in_widgets")


def with_network_features(queryset, *features):
    """``queryset`` (of rows with a ``network``) annotated as ``network_has_feature`` would answer, in one query.

    Each row gets ``network_is_live`` (the network has a live subscription) and ``network_has_<feature>``
    for each of ``features``, read from the plan of the same subscription ``network.current_subscription``
    picks. For requests that must check a key and its network's plan cheaply (feeds, widgets).
    """
    unknown = set(features) - set(PLAN_FEATURES)
    if unknown:
        raise ValueError(f"Unknown plan features: {sorted(unknown)}")
    live = Subscription.objects.live().filter(network_id=OuterRef("network_id")).order_by("-access_until")
    annotations = {"network_is_live": Exists(live)}
    for feature in features:
        annotations[f"network_has_{feature}"] = Coalesce(Subquery(live.values(f"plan__{feature}")[:1]), Value(False))
    return queryset.annotate(**annotations)


def is_network_admin(user, network):
    if not (user and user.is_authenticated):
        return False
    return Membership.objects.filter(user=user, network=network, role=Membership.Role.ADMIN).exists()


def can_manage_network(user, network):
    return is_coordinator(user) or is_network_admin(user, network)


# --- Published answers (knowledge-base pages): anything with ``visibility`` and ``network_id``.


def published_filter(user):
    """A ``Q`` selecting the published answers ``user`` may see listed (at least as a teaser).

    Network-only answers: members of that network, coordinators, and the expert who wrote the answer.
    """
    if is_coordinator(user):
        return Q(visibility__in=[Visibility.PUBLIC, Visibility.NETWORK])
    visible = Q(visibility=Visibility.PUBLIC)
    ids = live_network_ids(user)
    if ids:
        visible |= Q(visibility=Visibility.NETWORK, network_id__in=ids)
    if is_panel_expert(user):
        visible |= Q(visibility=Visibility.NETWORK, expert_id=user.pk)
    return visible


def can_see_published(user, answer):
    if answer.visibility == Visibility.PUBLIC:
        return True
    if answer.visibility == Visibility.NETWORK:
        return (
            is_coordinator(user)
            or answer.network_id in live_network_ids(user)
            or (is_panel_expert(user) and answer.expert_id == user.pk)
        )
    return False


def can_read_published_in_full(user, answer):
    return can_see_published(user, answer) and has_subscriber_access(user)


# --- Questions in progress: anything with ``asker_id`` and ``assignee_id``.


def can_follow_question(user, question):
    """May ``user`` see a question's progress and its private thread?"""
    if not (user and user.is_authenticated and user.is_active):
        return False
    return is_coordinator(user) or user.pk in (question.asker_id, question.assignee_id)


# --- Feed and widget keys: checked on every request, from the cache.

KEY_SECONDS = 50  # a grant in the shared cache is re-read from the database at least this often…
KEY_LOCAL_SECONDS = 10  # … and a process's own copy from the shared cache at least this often
_local_grants = {}  # key value -> (grant, until)


def _grant_key(value):
    return f"access-key:{value}"


def key_grant(value):
    """What the feed or widget key ``value`` allows now, or None when there is no such key.

    A dict: ``pk``, ``key``, ``kind``, ``revoked``, ``network_id``, ``network_name``, ``network_is_live`` (its
    subscription is live), the plan's ``widgets``, ``private_feeds`` and ``full_answers_in_widgets``, ``origins`` and
    ``topic_ids``. A key in use answers from the process's memory or the cache, with no query: revoking a key or
    changing a subscription drops the cached grant (``forget_key_grants``), so it takes effect at once in the
    process that made the change and within ``KEY_LOCAL_SECONDS`` in the others; a subscription that ends by the
    calendar ends for its keys within ``KEY_SECONDS + KEY_LOCAL_SECONDS`` (a minute).
    """
    now = time.monotonic()
    found = _local_grants.get(value)
    if found is not None and found[1] > now:
        return found[0]
    grant = cache.get(_grant_key(value))
    if grant is None:
        from .models import AccessKey

        key = (
            with_network_features(
                AccessKey.objects.filter(key=value).select_related("network"),
                "widgets",
                "private_feeds",
                "full_answers_in_widgets",
            )
            .only("pk", "key", "kind", "revoked_at", "network__name", "allowed_origins", "topic_ids")
            .first()
        )
        if key is None:
            return None  # unknown keys are not remembered: guessing must not fill the cache
        grant = {
            "pk": key.pk,
            "key": key.key,
            "kind": key.kind,
            "revoked": key.revoked_at is not None,
            "network_id": key.network_id,
            "network_name": key.network.name,
            "network_is_live": key.network_is_live,
            "widgets": key.network_has_widgets,
            "private_feeds": key.network_has_private_feeds,
            "full_answers_in_widgets": key.network_has_full_answers_in_widgets,
            "origins": key.origins,
            "topic_ids": sorted({int(pk) for pk in key.topic_ids or [] if str(pk).isdigit()}),
        }
        cache.set(_grant_key(value), grant, KEY_SECONDS)
    if len(_local_grants) > 10_000:
        _local_grants.clear()
    _local_grants[value] = (grant, now + KEY_LOCAL_SECONDS)
    return grant


def forget_key_grants(values):
    """After a key or its network's subscription changed: read its grant afresh."""
    values = list(values)
    for value in values:
        _local_grants.pop(value, None)
    cache.delete_many([_grant_key(value) for value in values])
