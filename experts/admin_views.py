"""Coordinator screens for routing: the triage queue and assigning by hand."""

from django import forms
from django.contrib import messages
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse

from qa_site.knowledge import services
from qa_site.knowledge.admin_views import CoordinatorView
from qa_site.knowledge.models import Question, QuestionEvent

from .models import ExpertProfile


class AssignForm(forms.Form):
    expert = forms.ModelChoiceField(queryset=ExpertProfile.objects.none(), empty_label="Choose an expert…")
    note = forms.CharField(required=False, max_length=500, label="Note for the audit trail")

    def __init__(self, *args, question, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expert"].queryset = assignable_experts().exclude(user_id=question.asker_id)


def assignable_experts():
    return (
        ExpertProfile.objects.filter(status=ExpertProfile.Status.ACTIVE)
        .select_related("user")
        .prefetch_related("topics")
    )


class TriageQueueView(CoordinatorView):
    page_title = "Triage queue"
    header_icon = "warning"
    template_name = "experts/admin/triage.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        triage_events = QuestionEvent.objects.filter(action=QuestionEvent.Action.TRIAGED).order_by("-created_at")
        questions = list(
            Question.objects.in_triage()
            .select_related("topic", "network")
            .prefetch_related(Prefetch("events", queryset=triage_events, to_attr="triage_events"))
            .order_by("due_at", "submitted_at")
        )
        experts = list(assignable_experts())
        for question in questions:
            question.reason = question.triage_events[0].note if question.triage_events else ""
            # Experts who know the topic first; never the asker.
            question.expert_choices = sorted(
                (e for e in experts if e.user_id != question.asker_id),
                key=lambda e: (question.topic_id not in {t.pk for t in e.topics.all()}, str(e)),
            )
        context["questions"] = questions
        return context


class AssignView(CoordinatorView):
    def post(self, request, pk):
        question = get_object_or_404(Question.objects.select_related("topic"), pk=pk)
        form = AssignForm(request.POST, question=question)
        if not form.is_valid():
            messages.error(request, "Choose an active expert to assign the question to.")
            return redirect("experts_admin:triage")
        profile = form.cleaned_data["expert"]
        note = form.cleaned_data["note"].strip()
        reason = f"Assigned by hand by {request.user.display_name}" + (f": {note}" if note else ".")
        try:
            services.question_assign(
                question_id=question.pk,
                expert=profile.user,
                actor=request.user,
                reason=reason,
            )
        except services.TransitionError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"“{question.title}” assigned to {profile.user.display_name}.")
        return redirect(reverse("experts_admin:triage"))
