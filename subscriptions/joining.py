"""Networks joining through ``/subscribe/``: the request, and the coordinator's approval or refusal.

A request names a plan, how to start (a free trial of the plan's length, or a paid year invoiced at once), the
organisation's details and billing contact, and the person who will be its first network admin. Coordinators
are e-mailed and decide in the admin; approving creates the network, its admin membership and the subscription,
in one transaction with the e-mails it causes.
"""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from qa_site import outbox

from . import billing, tasks
from .models import JoinRequest, Membership, Network, Plan


class JoiningError(Exception):
    """A request that cannot be made or decided; the message says why, for people."""


def name_taken(name):
    """Why ``name`` cannot be used for a new network, or None."""
    name = name.strip()
    if Network.objects.filter(name__iexact=name).exists():
        return f"A network called “{name}” already subscribes. Ask its network admin to invite you instead."
    if JoinRequest.objects.filter(name__iexact=name, status=JoinRequest.Status.PENDING).exists():
        return f"A request to join as “{name}” is already waiting for a decision."
    return None


def join_request_submit(
    *,
    user,
    plan,
    start,
    seats,
    name,
    billing_email,
    billing_address,
    website="",
    members_description="",
    vat_number="",
    purchase_order="",
):
    """Record a network's request to subscribe and tell the coordinators (and the applicant) by e-mail."""
    if not plan.is_listed:
        raise JoiningError("That plan is not offered any more: choose another.")
    if start == JoinRequest.Start.TRIAL and not plan.trial_days:
        raise JoiningError(f"The {plan} plan has no free trial: choose to be invoiced, or another plan.")
    if seats < plan.included_seats:
        raise JoiningError(f"The {plan} plan includes {plan.included_seats} seats; choose at least that many.")
    with transaction.atomic():
        # One pending request per person, under a lock on the person's row: a double submit makes one request.
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        if JoinRequest.objects.filter(user=user, status=JoinRequest.Status.PENDING).exists():
            raise JoiningError("You have already asked to join; a coordinator will be in touch.")
        problem = name_taken(name)
        if problem:
            raise JoiningError(problem)
        request = JoinRequest.objects.create(
            user=user,
            plan=plan,
            start=start,
            seats=seats,
            name=name.strip(),
            website=website,
            members_description=members_description.strip(),
            billing_email=billing_email.strip().lower(),
            billing_address=billing_address.strip(),
            vat_number=vat_number.strip(),
            purchase_order=purchase_order.strip(),
        )
        outbox.enqueue(tasks.send_join_request_received, request.pk)
    return request


def _unique_slug(name):
    base = slugify(name)[:40] or "network"
    slug, n = base, 1
    while Network.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def join_request_approve(*, request_id, actor, note=""):
    """Create the network with the applicant as its admin, and start the subscription they chose."""
    request = JoinRequest.objects.select_for_update(of=("self",)).select_related("plan", "user").get(pk=request_id)
    if request.status != JoinRequest.Status.PENDING:
        raise JoiningError("That request has already been decided.")
    if Network.objects.filter(name__iexact=request.name).exists():
        raise JoiningError(f"A network called “{request.name}” exists now: refuse this request, or rename it first.")
    plan = Plan.objects.get(pk=request.plan_id)
    network = Network.objects.create(
        name=request.name,
        slug=_unique_slug(request.name),
        website=request.website,
        billing_email=request.billing_email,
        billing_address=request.billing_address,
        vat_number=request.vat_number,
    )
    Membership.objects.create(network=network, user=request.user, role=Membership.Role.ADMIN)
    try:
        billing.subscription_start(
            network=network, plan=plan, seats=max(request.seats, plan.included_seats), trial=request.is_trial
        )
    except billing.BillingError as exc:
        raise JoiningError(str(exc)) from exc
    JoinRequest.objects.filter(pk=request.pk).update(
        status=JoinRequest.Status.APPROVED,
        decided_by=actor,
        decided_at=timezone.now(),
        decision_note=note.strip(),
        network=network,
    )
    outbox.enqueue(tasks.send_join_request_decision, request.pk)
    return network


@transaction.atomic
def join_request_refuse(*, request_id, actor, note):
    """Refuse a request, saying why: the applicant is told by e-mail."""
    if not note.strip():
        raise JoiningError("Say why the request is refused: the applicant is told.")
    request = JoinRequest.objects.select_for_update().get(pk=request_id)
    if request.status != JoinRequest.Status.PENDING:
        raise JoiningError("That request has already been decided.")
    JoinRequest.objects.filter(pk=request.pk).update(
        status=JoinRequest.Status.REFUSED, decided_by=actor, decided_at=timezone.now(), decision_note=note.strip()
    )
    outbox.enqueue(tasks.send_join_request_decision, request.pk)
    request.refresh_from_db()
    return request
