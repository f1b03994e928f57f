"""The network admin's webhook pages, at /network/<slug>/webhooks/: endpoints, each with its secret, its delivery
log, a test event, secret rotation, switching off and on. Every page asks ``access.can_manage_network`` (the
network's admins, and coordinators); every change goes through ``services``, which asks again."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from qa_site.knowledge.models import TopicPage
from subscriptions import access
from subscriptions.models import Network

from . import services
from .forms import EndpointForm
from .models import Attempt, Delivery, Endpoint

LOG_LENGTH = 50


def _network(request, slug):
    network = get_object_or_404(Network, slug=slug)
    if not access.can_manage_network(request.user, network):
        raise PermissionDenied(f"This page is for the network admins of {network.name}.")
    return network


def _endpoint(request, slug, pk):
    network = _network(request, slug)
    return network, get_object_or_404(Endpoint, pk=pk, network=network)


def _render(request, template, network, context=None, status=200):
    return render(request, template, {"network": network, "tab": "webhooks", **(context or {})}, status=status)


def _topic_titles(endpoints):
    ids = {pk for endpoint in endpoints for pk in endpoint.topic_ids}
    return dict(TopicPage.objects.filter(pk__in=ids).values_list("pk", "title")) if ids else {}


def _form_values(form):
    return {
        "url": form.cleaned_data["url"],
        "description": form.cleaned_data["description"],
        "events": form.cleaned_data["events"],
        "topic_ids": [topic.pk for topic in form.cleaned_data["topics"]],
    }


@login_required
def endpoints(request, slug):
    """The network's endpoints, and the form to add one."""
    network = _network(request, slug)
    form = EndpointForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                endpoint = services.endpoint_create(network=network, actor=request.user, **_form_values(form))
            except services.WebhookError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"Endpoint {endpoint.url} added. Its secret is on this page.")
                return redirect("webhooks:endpoint", slug=network.slug, pk=endpoint.pk)
        status = 400
    endpoint_list = list(
        Endpoint.objects.filter(network=network).annotate(
            delivered=Count("deliveries", filter=Q(deliveries__state=Delivery.State.DELIVERED)),
            waiting=Count(
                "deliveries", filter=Q(deliveries__state__in=[Delivery.State.PENDING, Delivery.State.SENDING])
            ),
            failed=Count("deliveries", filter=Q(deliveries__state=Delivery.State.FAILED)),
        )
    )
    titles = _topic_titles(endpoint_list)
    for endpoint in endpoint_list:
        endpoint.topics = [titles[pk] for pk in endpoint.topic_ids if pk in titles]
    context = {"endpoints": endpoint_list, "form": form, "limit": services.MAX_ENDPOINTS}
    return _render(request, "webhooks/endpoints.html", network, context, status=status)


@login_required
def endpoint(request, slug, pk):
    """One endpoint: its settings and secret, its actions, and the log of its latest tries."""
    network, endpoint = _endpoint(request, slug, pk)
    endpoint.topics = list(_topic_titles([endpoint]).values())
    log = list(
        Attempt.objects.filter(delivery__endpoint=endpoint)
        .select_related("delivery")
        .order_by("-attempted_at", "-pk")[:LOG_LENGTH]
    )
    waiting = list(
        Delivery.objects.filter(endpoint=endpoint, state__in=[Delivery.State.PENDING, Delivery.State.SENDING]).order_by(
            "next_attempt_at"
        )[:LOG_LENGTH]
    )
    context = {
        "endpoint": endpoint,
        "log": log,
        "waiting": waiting,
        "log_length": LOG_LENGTH,
        "now": timezone.now(),
        "disable_after": settings.WEBHOOKS_DISABLE_AFTER,
    }
    return _render(request, "webhooks/endpoint.html", network, context)


@login_required
def endpoint_edit(request, slug, pk):
    network, endpoint = _endpoint(request, slug, pk)
    form = EndpointForm(request.POST or None, endpoint=endpoint)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.endpoint_update(endpoint_id=endpoint.pk, actor=request.user, **_form_values(form))
            except services.WebhookError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "Endpoint saved: the change applies to the next event.")
                return redirect("webhooks:endpoint", slug=network.slug, pk=endpoint.pk)
        status = 400
    return _render(request, "webhooks/endpoint_edit.html", network, {"endpoint": endpoint, "form": form}, status)


def _act(request, slug, pk, action, success):
    """A one-button change: the service, then back to the endpoint's page with what happened."""
    network, endpoint = _endpoint(request, slug, pk)
    try:
        action(endpoint_id=endpoint.pk, actor=request.user)
    except services.WebhookError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, success)
    return redirect("webhooks:endpoint", slug=network.slug, pk=endpoint.pk)


@login_required
@require_POST
def endpoint_rotate(request, slug, pk):
    return _act(
        request,
        slug,
        pk,
        services.endpoint_rotate_secret,
        "New secret made. For the next 24 hours each event is signed with both the new and the old secret: put the "
        "new one in your system within that time.",
    )


@login_required
@require_POST
def endpoint_test(request, slug, pk):
    return _act(
        request,
        slug,
        pk,
        services.endpoint_send_test,
        "Test event sent (webhook.test). Its outcome is in the log below; reload the page if it is not there yet.",
    )


@login_required
@require_POST
def endpoint_switch_on(request, slug, pk):
    return _act(request, slug, pk, services.endpoint_switch_on, "Endpoint switched on: new events are sent to it.")


@login_required
@require_POST
def endpoint_switch_off(request, slug, pk):
    return _act(
        request,
        slug,
        pk,
        services.endpoint_switch_off,
        "Endpoint switched off: no events are sent to it until you switch it on again.",
    )


@login_required
@require_POST
def endpoint_delete(request, slug, pk):
    network, endpoint = _endpoint(request, slug, pk)
    try:
        services.endpoint_delete(endpoint_id=endpoint.pk, actor=request.user)
    except services.WebhookError as exc:
        messages.error(request, str(exc))
        return redirect("webhooks:endpoint", slug=network.slug, pk=endpoint.pk)
    messages.success(request, f"Endpoint {endpoint.url} deleted, with its log.")
    return redirect("webhooks:endpoints", slug=network.slug)
