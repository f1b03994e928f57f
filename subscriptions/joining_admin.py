"""The coordinators' screens for networks asking to join: the waiting requests, and approving or refusing one."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import urlencode
from wagtail.admin import messages as admin_messages

from . import joining
from .admin_views import CoordinatorView
from .models import JoinRequest

PAGE_SIZE = 50


def joining_crumb():
    return [{"url": reverse("joining_admin:list"), "label": "Networks joining"}]


class JoinRequestsView(CoordinatorView):
    header_icon = "group"
    template_name = "subscriptions/admin/join_requests.html"

    def get_page_title(self):
        return "Networks joining"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        requests = JoinRequest.objects.select_related("plan", "user", "network", "decided_by")
        context["pending"] = list(requests.filter(status=JoinRequest.Status.PENDING).order_by("submitted_at"))
        decided = requests.exclude(status=JoinRequest.Status.PENDING).order_by("-decided_at", "-pk")
        context["decided"] = Paginator(decided, PAGE_SIZE).get_page(self.request.GET.get("page"))
        return context


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("refuse", "Refuse")])
    note = forms.CharField(
        label="Note to the applicant",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Sent with the decision. Needed when refusing: say why.",
    )


class JoinRequestView(CoordinatorView):
    header_icon = "group"
    template_name = "subscriptions/admin/join_request.html"

    def get_page_title(self):
        return f"Request to join: {self.join.name}"

    def parent_breadcrumbs(self):
        return joining_crumb()

    def dispatch(self, request, *args, **kwargs):
        self.join = get_object_or_404(
            JoinRequest.objects.select_related("plan", "user", "network", "decided_by"), pk=kwargs["pk"]
        )
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        return self.show(DecisionForm())

    def show(self, form, status=200):
        verified = self.join.user.emailaddress_set.filter(email__iexact=self.join.user.email, verified=True).exists()
        context = self.get_context_data(form=form, join=self.join, email_verified=verified)
        return self.render_to_response(context, status=status)

    def post(self, request, *args, **kwargs):
        form = DecisionForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Nothing was decided: choose Approve or Refuse.")
            return self.show(form, status=400)
        note = form.cleaned_data["note"]
        try:
            if form.cleaned_data["decision"] == "approve":
                network = joining.join_request_approve(request_id=self.join.pk, actor=request.user, note=note)
            else:
                joining.join_request_refuse(request_id=self.join.pk, actor=request.user, note=note)
                network = None
        except joining.JoiningError as exc:
            form.add_error(None, str(exc))
            messages.error(request, f"Nothing was decided: {exc}")
            return self.show(form, status=400)
        if network is not None:
            # Wagtail's message button: a bare link in a success message is teal on green (too little contrast).
            admin_messages.success(
                request,
                f"{network.name} is subscribed and {self.join.user.email} is its network admin.",
                buttons=[
                    admin_messages.button(
                        reverse("billing_admin:networks") + "?" + urlencode({"q": network.name}),
                        "See its subscription",
                    )
                ],
            )
        else:
            messages.success(request, f"The request from {self.join.name} was refused; the applicant is told why.")
        return redirect("joining_admin:list")
