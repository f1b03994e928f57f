from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import payments
from .models import Plan

MAX_WEBHOOK_BYTES = 64 * 1024


def subscribe(request):
    """How access works, for visitors who met a teaser: networks subscribe for their members."""
    return render(request, "subscriptions/subscribe.html", {"plans": Plan.objects.filter(is_listed=True)})


@csrf_exempt
@require_POST
def payment_webhook(request, provider):
    """A payment provider tells us a card payment went through. Signed, verified, applied once."""
    if len(request.body) > MAX_WEBHOOK_BYTES:
        return HttpResponse("Body too large.", status=413, content_type="text/plain")
    status, message = payments.handle_webhook(provider, request.body, request.headers)
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
