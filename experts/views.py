"""The expert-facing pages: the public panel and profiles, the expert's queue, answer page, performance, fees
and settings, and applying to join the panel."""

import datetime as dt
import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST
from wagtail.images import get_image_model
from wagtail.models import Collection

from qa_site import charts
from qa_site.exports import csv_response
from qa_site.knowledge import pagecache, services
from qa_site.knowledge.models import (
    Answer,
    AnswerReview,
    Question,
    QuestionEvent,
    QuestionPage,
    TopicPage,
    answer_counts,
    counted_paginator,
)

from . import fees, reviews, sla, stats
from . import services as panel
from .forms import AnswerForm, ApplicationForm, ClarificationForm, DeclineForm, ExpertSettingsForm
from .models import ExpertApplication, ExpertProfile

THREAD_ACTIONS = (QuestionEvent.Action.CLARIFICATION_REQUESTED, QuestionEvent.Action.CLARIFIED)


def _expert_profile(user, *, former_too=False):
    """The user's expert profile; only for experts on the panel, or (``former_too``) who ever were."""
    profile = ExpertProfile.objects.filter(user=user).first()
    if profile is None or not (profile.is_on_panel or former_too):
        raise PermissionDenied("This page is for the experts on our panel.")
    return profile


@login_required
def dashboard(request):
    profile = _expert_profile(request.user)
    if charts.requested(request.GET):
        performance = _performance_by_month(request.user)
        return charts.download(request, performance["month_charts"], "my-answers")
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
    return render(
        request,
        "experts/dashboard.html",
        {
            "profile": profile,
            "queue": queue,
            "recent": recent,
            "reviews": reviews.waiting_for(request.user, profile),
            "scorecard": stats.scorecard(expert_user=request.user),
            **_performance_by_month(request.user),
            "fee_months": fees.monthly_totals(expert_user=request.user),
        },
    )


def _performance_by_month(user):
    """The expert's SLA record by London month: rows for the table, and the same numbers as charts (answers, and
    the % within the promised time), every month from the first to the last shown, months without answers as gaps."""
    months = stats.by_month(stats.answered().filter(assignee=user))
    for row in months:
        row["label"] = timezone.localtime(row["key"]).strftime("%b %Y")
    return {"months": months, "month_charts": _month_charts(months)}


def _month_charts(months):
    if not months:
        return []
    found = {timezone.localtime(row["key"]).date().replace(day=1): row for row in months}
    month, last = min(found), max(found)
    labels, answered, met = [], [], []
    while month <= last:
        row = found.get(month)
        labels.append(f"{month:%b %Y}")
        answered.append(row["answered"] if row else 0)
        met.append(row["met_percent"] if row else None)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    common = {"labels": labels, "label_heading": "Month"}
    return [
        charts.Chart(
            name="answers", title="Your answers by month", series={"Answers": answered}, unit="answers", **common
        ),
        charts.Chart(
            name="sla",
            title="Answers within the promised time, by month",
            series={"Within the promised time": met},
            kind="line",
            percent=True,
            unit="% of your answers",
            **common,
        ),
    ]


@require_POST
@login_required
def accept(request, pk):
    """The expert confirms they will answer an assigned question."""
    _expert_profile(request.user)
    question = get_object_or_404(Question, pk=pk)
    try:
        services.assignment_accept(question_id=question.pk, expert=request.user)
    except services.TransitionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Accepted: “{question.title}”.")
    return redirect("experts:dashboard")


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


# --- Published answers back for review --------------------------------------------------------------------------


@login_required
def review(request, pk):
    """A published answer past its review date: confirm it is still correct, or write an update for review."""
    _expert_profile(request.user)
    item = get_object_or_404(AnswerReview.objects.select_related("page", "page__topic", "expert"), pk=pk)
    if not services.may_review(item, request.user):
        raise PermissionDenied("This answer is being reviewed by another expert.")
    can_act = item.status == AnswerReview.Status.DUE
    form = AnswerForm(initial={"body": item.answer_text or item.page.answer}, submitting=True)
    if request.method == "POST":
        if not can_act:
            messages.error(request, "This answer is no longer waiting for your review.")
            return redirect("experts:review", pk=item.pk)
        try:
            if request.POST.get("action") == "confirm":
                services.answer_review_confirm(review_id=item.pk, expert=request.user)
                messages.success(request, f"Thank you: “{item.page.title}” is marked checked today.")
                return redirect("experts:dashboard")
            form = AnswerForm(request.POST, submitting=True)
            if form.is_valid():
                services.answer_review_submit(review_id=item.pk, expert=request.user, body=form.cleaned_data["body"])
                messages.success(request, "Thank you: your update has gone to a coordinator for review.")
                return redirect("experts:dashboard")
        except services.TransitionError as exc:
            messages.error(request, str(exc))
            return redirect("experts:review", pk=item.pk)
    return render(
        request,
        "experts/review.html",
        {"review": item, "page": item.page, "form": form, "can_act": can_act},
        status=400 if form.is_bound else 200,
    )


# --- Fees ---------------------------------------------------------------------------------------------------------

PERIOD = re.compile(r"([0-9]{4})-([0-9]{2})")  # ASCII digits only: \d would take "２０２６"


def _period(value):
    """'2026-03' → (2026, 3); anything else (2026-13, abc) is a page that does not exist."""
    match = PERIOD.fullmatch(value)
    if not match:
        raise Http404("No such month.")
    year, month = int(match[1]), int(match[2])
    if not (1 <= month <= 12 and year >= 2000):
        raise Http404("No such month.")
    return year, month


@login_required
def statement(request, period):
    """One month's fees: the published answers that earned them, as a page or as CSV (retired experts too)."""
    _expert_profile(request.user, former_too=True)
    year, month = _period(period)
    result = fees.statement(expert_user=request.user, year=year, month=month)
    if request.GET.get("format") == "csv":
        return _statement_csv(request.user, period, result)
    return render(
        request, "experts/statement.html", {"period": period, "month_start": result["start"], "statement": result}
    )


def _statement_csv(user, period, result):
    rows = [
        [f"{timezone.localtime(line.published_at):%Y-%m-%d}", line.title, line.topic.title, f"{line.fee:.2f}"]
        for line in result["lines"]
    ]
    rows.append(["Total", f"{len(result['lines'])} answers", "", f"{result['total']:.2f}"])
    return csv_response(f"ask-an-expert-fees-{period}.csv", ["Published", "Question", "Topic", "Fee (GBP)"], rows)


@login_required
def statements(request):
    """Every month's fees, for experts on the panel and those who have left it."""
    profile = _expert_profile(request.user, former_too=True)
    return render(
        request,
        "experts/statements.html",
        {"profile": profile, "fee_months": fees.monthly_totals(expert_user=request.user, months=120)},
    )


# --- The panel, in public -----------------------------------------------------------------------------------------

PANEL_PHOTO = "fill-96x96"


def _with_photos(profiles, spec):
    """Profiles with their user and their photo's rendition loaded up front (no query per expert)."""
    images = get_image_model().objects.prefetch_renditions(spec)
    return profiles.select_related("user").prefetch_related(Prefetch("photo", queryset=images))


@pagecache.cached
def panel_index(request):
    """Everyone on the panel, grouped by the topics they answer on."""
    pagecache.cacheable(request)
    on_panel = _with_photos(ExpertProfile.objects.on_panel(), PANEL_PHOTO)
    topics = [
        topic
        for topic in TopicPage.objects.live()
        .order_by("title")
        .prefetch_related(Prefetch("experts", queryset=on_panel, to_attr="panel"))
        if topic.panel
    ]
    listed = {profile.pk for topic in topics for profile in topic.panel}
    others = [profile for profile in on_panel if profile.pk not in listed]
    return render(request, "experts/panel.html", {"topics": topics, "others": others, "photo_spec": PANEL_PHOTO})


@pagecache.cached
def profile(request, slug):
    """An expert's public profile: who they are, what they answer on, and the answers this visitor may see."""
    profile = get_object_or_404(_with_photos(ExpertProfile.objects.all(), "fill-160x160"), slug=slug)
    pagecache.cacheable(request, params=("page",))
    answers = QuestionPage.objects.listed_for(request.user).filter(expert=profile.user)
    count = answer_counts(request.user, by="expert_id").get(profile.user_id, 0)
    return render(
        request,
        "experts/profile.html",
        {
            "profile": profile,
            "topics": profile.topics.live().order_by("title"),
            "answers": counted_paginator(answers, count, request.GET.get("page")),
            "published_count": Question.objects.filter(assignee=profile.user, status=Question.Status.PUBLISHED).count(),
        },
    )


# --- The expert's own settings ------------------------------------------------------------------------------------


def _save_photo(upload, user):
    """Store an uploaded photo as a Wagtail image in the root collection."""
    image = get_image_model()(
        title=f"{user.display_name} (expert photo)",
        file=upload,
        collection=Collection.get_first_root_node(),
        uploaded_by_user=user,
    )
    image._set_image_file_metadata()
    image.save()
    return image


@login_required
def expert_settings(request):
    profile = _expert_profile(request.user)
    form = ExpertSettingsForm(
        request.POST or None,
        request.FILES or None,
        initial=ExpertSettingsForm.initial_for(profile),
        has_photo=profile.photo_id is not None,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        old_photo = profile.photo
        # Topics the coordinators gave that are no longer published are kept: the form only offers live ones.
        kept = list(profile.topics.not_live())
        details = {key: data[key] for key in ("headline", "organisation", "bio")}
        with transaction.atomic():
            if data["photo"]:
                details["photo"] = _save_photo(data["photo"], request.user)
            elif data.get("remove_photo"):
                details["photo"] = None
            panel.availability_update(
                profile=profile,
                topics=[*data["topics"], *kept],
                max_open_questions=data["max_open_questions"],
                accepting_new=data["accepting_new"],
                away_from=data["away_from"],
                away_until=data["away_until"],
                **details,
            )
            if "photo" in details and old_photo and old_photo.uploaded_by_user_id == request.user.pk:
                old_photo.delete()  # the expert's own earlier upload; coordinators' images stay in the library
        messages.success(request, "Your settings have been saved.")
        return redirect("experts:settings")
    return render(request, "experts/settings.html", {"profile": profile, "form": form})


# --- Applying to join the panel -----------------------------------------------------------------------------------


@login_required
def apply(request):
    existing = ExpertProfile.objects.filter(user=request.user).first()
    applications = list(ExpertApplication.objects.filter(user=request.user).prefetch_related("topics")[:5])
    pending = next((a for a in applications if a.status == ExpertApplication.Status.PENDING), None)
    form = None
    if existing is None and pending is None:
        form = ApplicationForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                panel.application_submit(user=request.user, **form.cleaned_data)
            except panel.PanelError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "Thank you for applying: a coordinator will be in touch.")
                return redirect("experts:apply")
    elif request.method == "POST":
        messages.error(
            request,
            "You are already on the panel."
            if existing
            else "You have already applied; a coordinator will be in touch.",
        )
        return redirect("experts:apply")
    return render(
        request,
        "experts/apply.html",
        {"form": form, "existing": existing, "pending": pending, "latest": applications[0] if applications else None},
    )
