"""Members and seats: invitations, joining, leaving, and the keys for a network's feeds and widgets.

A network has as many seats as its subscription pays for. Members hold seats, and so does every pending
invitation, so an admin cannot invite past the limit. The check and the invitation happen under a lock on
the network's subscription, so two admins inviting at once cannot both take the last seat.
"""

import datetime as dt

from allauth.account.models import EmailAddress
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone

from qa_site import outbox

from . import access, tasks
from .billing import seats_in_use
from .models import AccessKey, Invitation, Membership, Subscription


class MembershipError(Exception):
    """A change to a network's members that cannot be made; the message says why, for people."""


def _require_admin(actor, network):
    if not access.can_manage_network(actor, network):
        raise MembershipError("Only the network's admins can do that.")


def _locked_subscription(network):
    subscription = Subscription.objects.live().filter(network=network).order_by("-access_until").first()
    if subscription is None:
        raise MembershipError(f"{network} has no current subscription, so nobody can be invited.")
    return Subscription.objects.select_for_update().get(pk=subscription.pk)


def invitation_from_token(token):
    """The invitation a link names, or None if the link is forged, mangled or older than its life."""
    try:
        data = signing.loads(token, salt=Invitation.TOKEN_SALT, max_age=dt.timedelta(days=Invitation.LINK_DAYS))
    except signing.BadSignature:  # includes SignatureExpired
        return None
    if not isinstance(data, dict) or not isinstance(data.get("invitation"), int):
        return None
    return Invitation.objects.select_related("network").filter(pk=data["invitation"]).first()


@transaction.atomic
def invitation_create(*, network, email, role=Membership.Role.ADVISER, organisation="", actor):
    """Hold a seat for ``email`` and send them a link to join."""
    _require_admin(actor, network)
    email = email.strip().lower()
    subscription = _locked_subscription(network)
    if Membership.objects.filter(network=network, user__email__iexact=email).exists():
        raise MembershipError(f"{email} is already a member of {network}.")
    now = timezone.now()
    # Inviting again replaces the earlier invitation (and its seat) with a fresh link.
    Invitation.objects.filter(network=network, email__iexact=email).pending(now).update(revoked_at=now)
    in_use = seats_in_use(network)
    if in_use >= subscription.seats:
        raise MembershipError(
            f"All {subscription.seats} seats are taken (members and pending invitations). Remove a member, "
            "withdraw an invitation, or ask us about more seats."
        )
    invitation = Invitation.objects.create(
        network=network,
        email=email,
        role=role,
        organisation=organisation.strip(),
        invited_by=actor,
        expires_at=now + dt.timedelta(days=Invitation.LINK_DAYS),
    )
    outbox.enqueue(tasks.send_invitation, invitation.pk)
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation_id, actor):
    invitation = Invitation.objects.select_for_update().select_related("network").get(pk=invitation_id)
    _require_admin(actor, invitation.network)
    if invitation.state != "pending":
        raise MembershipError(f"That invitation is already {invitation.state}.")
    Invitation.objects.filter(pk=invitation.pk).update(revoked_at=timezone.now())


def _verified_addresses(user):
    return {
        address.lower()
        for address in EmailAddress.objects.filter(user=user, verified=True).values_list("email", flat=True)
    }


@transaction.atomic
def invitation_accept(*, token, user):
    """Join the network an invitation is for, as the person it was sent to."""
    invitation = invitation_from_token(token)
    if invitation is None:
        raise MembershipError("This invitation link is not valid or has expired. Ask your network admin for a new one.")
    invitation = Invitation.objects.select_for_update().select_related("network").get(pk=invitation.pk)
    if invitation.state == "accepted" and invitation.accepted_by_id == user.pk:
        return Membership.objects.get(network=invitation.network, user=user)
    if invitation.state != "pending":
        reason = {
            "accepted": "This invitation has already been used by someone else.",
            "revoked": "This invitation was withdrawn by your network admin.",
            "expired": "This invitation has expired.",
        }[invitation.state]
        raise MembershipError(f"{reason} Ask your network admin for a new one.")
    if invitation.email.lower() not in _verified_addresses(user):
        raise MembershipError(
            f"This invitation was sent to {invitation.email}. Sign in with that address (and confirm it) to join."
        )
    try:
        with transaction.atomic():
            membership = Membership.objects.create(
                network=invitation.network, user=user, role=invitation.role, organisation=invitation.organisation
            )
    except IntegrityError:
        membership = Membership.objects.get(network=invitation.network, user=user)
    Invitation.objects.filter(pk=invitation.pk).update(accepted_at=timezone.now(), accepted_by=user)
    access.forget(user)
    return membership


@transaction.atomic
def membership_remove(*, membership_id, actor):
    """Take someone out of a network, freeing their seat. A network always keeps at least one admin."""
    membership = Membership.objects.select_for_update().select_related("network", "user").get(pk=membership_id)
    network = membership.network
    _require_admin(actor, network)
    if membership.role == Membership.Role.ADMIN:
        admins = Membership.objects.select_for_update().filter(network=network, role=Membership.Role.ADMIN)
        if admins.count() <= 1:
            raise MembershipError("A network needs at least one admin: make someone else an admin first.")
    membership.delete()
    return membership


@transaction.atomic
def membership_set_role(*, membership_id, role, actor):
    if role not in Membership.Role.values:
        raise MembershipError("Unknown role.")
    membership = Membership.objects.select_for_update().select_related("network").get(pk=membership_id)
    _require_admin(actor, membership.network)
    if membership.role == Membership.Role.ADMIN and role != Membership.Role.ADMIN:
        others = Membership.objects.filter(network=membership.network, role=Membership.Role.ADMIN).exclude(
            pk=membership.pk
        )
        if not others.exists():
            raise MembershipError("A network needs at least one admin: make someone else an admin first.")
    Membership.objects.filter(pk=membership.pk).update(role=role)


@transaction.atomic
def key_create(*, network, name, kind, actor, allowed_origins="", topic_ids=()):
    _require_admin(actor, network)
    return AccessKey.objects.create(
        network=network,
        name=name.strip(),
        kind=kind,
        created_by=actor,
        allowed_origins=allowed_origins.strip(),
        topic_ids=list(topic_ids),
    )


@transaction.atomic
def key_update(*, key_id, actor, name, allowed_origins, topic_ids):
    """Rename a key, change its topics and (widgets) its websites. Its kind and its value never change, so the
    snippets and feed addresses already pasted elsewhere keep working."""
    key = AccessKey.objects.select_for_update().select_related("network").get(pk=key_id)
    _require_admin(actor, key.network)
    if key.revoked_at is not None:
        raise MembershipError("This key has been revoked: make a new one instead.")
    key.name = name.strip()
    key.allowed_origins = allowed_origins.strip() if key.kind == AccessKey.Kind.WIDGET else ""
    key.topic_ids = list(topic_ids)
    key.save(update_fields=["name", "allowed_origins", "topic_ids"])
    return key


@transaction.atomic
def key_revoke(*, key_id, actor):
    key = AccessKey.objects.select_for_update().select_related("network").get(pk=key_id)
    _require_admin(actor, key.network)
    if key.revoked_at is None:
        AccessKey.objects.filter(pk=key.pk).update(revoked_at=timezone.now())
        # Now, and again once committed (a request in between may have cached the grant of before).
        access.forget_key_grants([key.key])
        transaction.on_commit(lambda: access.forget_key_grants([key.key]))
    key.refresh_from_db()
    return key
