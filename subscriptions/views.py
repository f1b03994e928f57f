from allauth.account.utils import complete_signup, setup_user_email
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_ratelimit.decorators import ratelimit

from . import joining, payments
from .forms import SubscribeForm
from .models import JoinRequest, Membership, Network, Plan

MAX_WEBHOOK_BYTES = 64 * 1024
SENT_SESSION_KEY = "subscribe_sent"


def _subscribe_rate(group, request):
    return settings.RATE_LIMIT_SUBSCRIBE


@ratelimit(key="ip", rate=_subscribe_rate, method="POST", block=True)
def subscribe(request):
    """How access works, the plans, and the form a network fills in to join (a free trial or an invoice)."""
    plans = list(Plan.objects.filter(is_listed=True))
    user = request.user if request.user.is_authenticated else None
    pending = None
    if user is not None:
        pending = (
            JoinRequest.objects.filter(user=user, status=JoinRequest.Status.PENDING).select_related("plan").first()
        )
    form = SubscribeForm(request.POST or None, user=user, initial={"plan": request.GET.get("plan")})
    if request.method == "POST" and pending is None and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                if user is None:
                    user = get_user_model().objects.create_user(
                        email=data["email"],
                        password=data["password"],
                        first_name=data["first_name"].strip(),
                        last_name=data["last_name"].strip(),
                    )
                    setup_user_email(request, user, [])
                join = joining.join_request_submit(
                    user=user,
                    plan=data["plan"],
                    start=data["start"],
                    seats=data["seats"],
                    name=data["name"],
                    website=data["website"],
                    members_description=data["members_description"],
                    billing_email=data["billing_email"],
                    billing_address=data["billing_address"],
                    vat_number=data["vat_number"],
                    purchase_order=data["purchase_order"],
                )
        except joining.JoiningError as exc:
            form.add_error(None, str(exc))
        else:
            confirm = not request.user.is_authenticated
            if confirm:
                # allauth's own sign-up ending: the link to confirm the address goes out; signing in waits for it.
                complete_signup(request, user, settings.ACCOUNT_EMAIL_VERIFICATION, reverse("subscribe"))
            request.session[SENT_SESSION_KEY] = {"join": join.pk, "confirm": confirm}
            messages.success(request, f"Request sent: {join.name}.")
            return redirect("subscribe_sent")
    status = 400 if request.method == "POST" and pending is None else 200
    context = {"plans": plans, "form": form, "pending": pending}
    if user is not None:
        context["administers"] = Network.objects.filter(
            memberships__user=user, memberships__role=Membership.Role.ADMIN
        ).order_by("name")
    return render(request, "subscriptions/subscribe.html", context, status=status)


def subscribe_sent(request):
    """What happens next, after a request to join (read from the session of the browser that sent it)."""
    sent = request.session.get(SENT_SESSION_KEY)
    join = None
    if isinstance(sent, dict) and isinstance(sent.get("join"), int):
        join = JoinRequest.objects.select_related("plan", "user").filter(pk=sent["join"]).first()
    if join is None:
        return redirect("subscribe")
    return render(request, "subscriptions/subscribe_sent.html", {"join": join, "confirm": bool(sent.get("confirm"))})


@csrf_exempt
@require_POST
def payment_webhook(request, provider):
    """A payment provider tells us a card payment went through. Signed, verified, applied once."""
    if len(request.body) > MAX_WEBHOOK_BYTES:
        return HttpResponse("Body too large.", status=413, content_type="text/plain")
    status, message = payments.handle_webhook(provider, request.body, request.headers)
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
