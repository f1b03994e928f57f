"""Tasks the subscriptions app puts in the outbox: e-mails about a network's subscription, invoices and
invitations. Each re-reads and is safe to repeat."""

from django.contrib.auth import get_user_model
from django.urls import reverse

from qa_site.mail import send_templated

from .models import Invitation, Invoice, JoinRequest, Membership, Subscription


def billing_recipients(network):
    """Where a network's billing e-mail goes: its billing address, else its admins."""
    if network.billing_email:
        return [network.billing_email]
    return list(
        Membership.objects.filter(network=network, role=Membership.Role.ADMIN, user__is_active=True).values_list(
            "user__email", flat=True
        )
    )


def _invoice(invoice_id):
    return (
        Invoice.objects.select_related("network", "subscription__plan")
        .prefetch_related("lines")
        .filter(pk=invoice_id)
        .first()
    )


def _send_about_invoice(invoice, template):
    recipients = billing_recipients(invoice.network)
    if recipients:
        send_templated(
            to=recipients,
            template=f"subscriptions/emails/{template}",
            context={"invoice": invoice, "path": reverse("network:invoice", args=[invoice.pk])},
        )


def send_invoice_issued(invoice_id):
    invoice = _invoice(invoice_id)
    if invoice and invoice.status == Invoice.Status.ISSUED:
        _send_about_invoice(invoice, "invoice_issued")


def send_invoice_reminder(invoice_id):
    invoice = _invoice(invoice_id)
    if invoice and invoice.status == Invoice.Status.ISSUED:
        _send_about_invoice(invoice, "invoice_reminder")


def send_payment_received(invoice_id):
    invoice = _invoice(invoice_id)
    if invoice and invoice.status == Invoice.Status.PAID:
        _send_about_invoice(invoice, "payment_received")


def _send_about_subscription(subscription_id, template):
    subscription = Subscription.objects.select_related("network", "plan").filter(pk=subscription_id).first()
    if subscription is None:
        return
    recipients = billing_recipients(subscription.network)
    if recipients:
        send_templated(
            to=recipients,
            template=f"subscriptions/emails/{template}",
            context={"subscription": subscription, "path": reverse("network:dashboard")},
        )


def send_subscription_past_due(subscription_id):
    _send_about_subscription(subscription_id, "past_due")


def send_subscription_expired(subscription_id):
    _send_about_subscription(subscription_id, "expired")


def send_invitation(invitation_id):
    invitation = Invitation.objects.select_related("network", "invited_by").filter(pk=invitation_id).first()
    if invitation is None or invitation.state != "pending":
        return
    send_templated(
        to=invitation.email,
        template="subscriptions/emails/invitation",
        context={"invitation": invitation, "path": reverse("network:invitation", args=[invitation.token])},
    )


def _coordinator_addresses():
    return list(
        get_user_model().objects.filter(is_active=True, is_staff=True).exclude(email="").values_list("email", flat=True)
    )


def send_join_request_received(request_id):
    """Tell the coordinators a network asks to join, and the applicant that their request arrived."""
    request = JoinRequest.objects.select_related("plan", "user").filter(pk=request_id).first()
    if request is None or request.status != JoinRequest.Status.PENDING:
        return
    recipients = _coordinator_addresses()
    if recipients:
        send_templated(
            to=recipients,
            template="subscriptions/emails/join_request_coordinators",
            context={"request": request, "path": reverse("joining_admin:detail", args=[request.pk])},
        )
    send_templated(
        to=request.user.email,
        template="subscriptions/emails/join_request_received",
        context={"request": request, "path": reverse("subscribe")},
    )


def send_join_request_decision(request_id):
    request = JoinRequest.objects.select_related("plan", "user", "network").filter(pk=request_id).first()
    if request is None or request.status == JoinRequest.Status.PENDING:
        return
    send_templated(
        to=request.user.email,
        template="subscriptions/emails/join_request_decision",
        context={
            "request": request,
            "path": reverse("network:dashboard") if request.network_id else reverse("subscribe"),
        },
    )
