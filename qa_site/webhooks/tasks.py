"""The webhooks' jobs, run by the outbox: they take ids, re-read, and do nothing when the thing has moved on."""

from django.urls import reverse

from qa_site.mail import send_templated
from subscriptions.models import Membership

from . import delivery
from .models import Endpoint


def deliver(delivery_id):
    """One try at sending a message to its endpoint."""
    return delivery.attempt(delivery_id)


def send_endpoint_disabled_email(endpoint_id):
    """Tell a network's admins that one of its endpoints was switched off after failing again and again."""
    endpoint = Endpoint.objects.select_related("network").filter(pk=endpoint_id, is_active=False).first()
    if endpoint is None:  # gone, or switched on again since
        return
    admins = sorted(
        Membership.objects.filter(network=endpoint.network, role=Membership.Role.ADMIN, user__is_active=True)
        .values_list("user__email", flat=True)
        .distinct()
    )
    if admins:
        send_templated(
            to=admins,
            template="webhooks/emails/endpoint_disabled",
            context={
                "endpoint": endpoint,
                "network": endpoint.network,
                "path": reverse("webhooks:endpoint", args=[endpoint.network.slug, endpoint.pk]),
            },
        )
