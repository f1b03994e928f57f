"""The expert's own screens: a queue ordered by due time, and the answer page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from qa_site.knowledge import services
from qa_site.knowledge.models import Answer, Question, QuestionEvent

from . import sla
from .forms import AnswerForm, ClarificationForm, DeclineForm
from .models import ExpertProfile

THREAD_ACTIONS = (QuestionEvent.Action.CLARIFICATION_REQUESTED, QuestionEvent.Action.CLARIFIED)


def _expert_profile(user):
    profile = ExpertProfile.objects.filter(user=user).first()
    if profile is None or not profile.is_on_panel:
        raise PermissionDenied("This page is for the experts on our panel.")
    return profile


@login_required
def dashboard(request):
    profile = _expert_profile(request.user)
    now = timezone.now()
    queue = list(
        Question.objects.assigned_to(request.user)
        .filter(status__in=Question.WITH_EXPERT_STATUSES)
        .select_related("topic", "network")
        .order_by("due_at", "pk")
    )
    for question in queue:
        question.sla_state = sla.state(question, now=now)
        question.sla_label = sla.STATE_LABELS[question.sla_state]
    recent = (
        Question.objects.assigned_to(request.user)
        .filter(status__in=[Question.Status.ANSWERED, Question.Status.PUBLISHED])
        .select_related("topic")
        .order_by("-answered_at")[:10]
    )
    return render(request, "experts/dashboard.html", {"profile": profile, "queue": queue, "recent": recent})


def _handle_post(request, question, *, submitting):
    """Run the expert's chosen action; return (response or None, the form that carries errors)."""
    action = request.POST.get("action")
    expert = request.user
    if action == "clarify":
        form = ClarificationForm(request.POST)
        if form.is_valid():
            services.question_request_clarification(
                question_id=question.pk, expert=expert, message=form.cleaned_data["message"]
            )
            messages.success(request, "Your request has been sent to the adviser.")
            return redirect("experts:question", pk=question.pk), form
        return None, form
    if action == "decline":
        form = DeclineForm(request.POST)
        if form.is_valid():
            services.question_decline(question_id=question.pk, expert=expert, reason=form.cleaned_data["reason"])
            messages.success(request, "Declined: the question is being passed to another expert.")
            return redirect("experts:dashboard"), form
        return None, form
    form = AnswerForm(request.POST, submitting=submitting)
    if form.is_valid():
        body = form.cleaned_data["body"]
        if submitting:
            services.answer_submit(question_id=question.pk, expert=expert, body=body)
            messages.success(request, "Thank you: your answer has gone to a coordinator for review.")
            return redirect("experts:dashboard"), form
        services.answer_save_draft(question_id=question.pk, expert=expert, body=body)
        messages.success(request, "Draft saved.")
        return redirect("experts:question", pk=question.pk), form
    return None, form


@login_required
def question(request, pk):
    _expert_profile(request.user)
    question = get_object_or_404(Question.objects.select_related("topic", "network", "asker"), pk=pk)
    if question.assignee_id != request.user.pk:
        raise PermissionDenied("This question is assigned to another expert.")
    answer = Answer.objects.filter(question=question).first()
    can_edit = question.status in Question.WITH_EXPERT_STATUSES
    submitting = request.POST.get("action") == "submit"
    forms = {
        "form": AnswerForm(initial={"body": answer.body if answer else ""}),
        "clarification_form": ClarificationForm(),
        "decline_form": DeclineForm(),
    }
    if request.method == "POST":
        if not can_edit:
            messages.error(request, "This question is no longer waiting for your answer.")
            return redirect("experts:question", pk=question.pk)
        try:
            response, bound = _handle_post(request, question, submitting=submitting)
        except services.TransitionError as exc:
            messages.error(request, str(exc))
            return redirect("experts:question", pk=question.pk)
        if response is not None:
            return response
        key = {ClarificationForm: "clarification_form", DeclineForm: "decline_form"}.get(type(bound), "form")
        forms[key] = bound
    if question.status in Question.WITH_EXPERT_STATUSES:
        question.sla_label = sla.STATE_LABELS[sla.state(question, now=timezone.now())]
    thread = question.events.filter(action__in=THREAD_ACTIONS).select_related("actor")
    return render(
        request,
        "experts/question.html",
        {"question": question, "answer": answer, "can_edit": can_edit, "thread": thread, **forms},
    )
