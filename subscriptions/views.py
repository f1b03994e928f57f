from django.shortcuts import render

from .models import Plan


def subscribe(request):
    """How access works, for visitors who met a teaser: networks subscribe for their members."""
    return render(request, "subscriptions/subscribe.html", {"plans": Plan.objects.all()})
