"""The coordinator's console in the Wagtail admin.

Routing: the triage queue and assigning by hand, the SLA board and reassigning. The panel: experts with their
numbers and status buttons, applications to join. Reports: SLA compliance, expert fees. Every screen needs a
coordinator and runs a fixed number of queries however many rows it shows.
"""

import datetime as dt
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Case, F, Prefetch, Q, Value, When
from django.shortcuts import get_object_or_404, redirect
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from qa_site import charts, exports
from qa_site.knowledge import services
from qa_site.knowledge.admin_views import CoordinatorView
from qa_site.knowledge.models import Question, QuestionEvent, SLASettings, TopicPage

from . import reports, sla, stats
from . import services as panel_services
from .models import ExpertApplication, ExpertProfile, open_question_count


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
    http_method_names = ["post"]

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


# --- SLA board and reassigning -----------------------------------------------------------------------------------


class ReassignForm(forms.Form):
    expert = forms.ModelChoiceField(
        queryset=ExpertProfile.objects.filter(status=ExpertProfile.Status.ACTIVE).select_related("user"),
        empty_label="Choose an expert…",
    )
    note = forms.CharField(required=False, max_length=500, label="Note for the audit trail")


def experts_with_load():
    """Active experts with ``open_count`` and their topics: the choices of the reassign forms (two queries)."""
    return list(assignable_experts().annotate(open_count=open_question_count()))


def reassign_choices(question, experts):
    """Who ``question`` could go to instead: not its expert, not its asker; those who know the topic first."""
    choices = []
    for expert in experts:
        if expert.user_id in (question.assignee_id, question.asker_id):
            continue
        knows = question.topic_id in {topic.pk for topic in expert.topics.all()}
        notes = [f"{expert.open_count}/{expert.max_open_questions} open"]
        if not knows:
            notes.append("not on this topic")
        if expert.is_away:
            notes.append("away")
        if not expert.accepting_new:
            notes.append("not accepting new questions")
        choices.append((not knows, str(expert).lower(), expert.pk, f"{expert} ({', '.join(notes)})"))
    return [{"pk": pk, "label": label} for _, _, pk, label in sorted(choices)]


def working_span(delta):
    """A length of working time for people: "2 h 05 min", "40 min"."""
    minutes = int(delta.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


class SLABoardView(CoordinatorView):
    page_title = "SLA board"
    header_icon = "time"
    template_name = "experts/admin/sla_board.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        now = timezone.now()
        calendar = SLASettings.load().calendar()
        questions = (
            Question.objects.filter(status__in=Question.OPEN_STATUSES + Question.WITH_EXPERT_STATUSES)
            .filter(Q(sla_running=False) | Q(sla_running=True, warn_at__lte=now))
            .select_related("topic", "network", "assignee")
            .order_by(F("due_at").asc(nulls_last=True), "submitted_at", "pk")
        )
        experts = experts_with_load()
        lists = {sla.BREACHED: [], sla.AT_RISK: [], sla.PAUSED: []}
        for question in questions:
            state = sla.state(question, now=now)
            if state not in lists:
                continue
            if question.due_at is None:
                question.span = ""
            elif state == sla.BREACHED:
                question.span = f"{working_span(calendar.working_time_between(question.due_at, now))} overdue"
            elif state == sla.AT_RISK:
                question.span = f"{working_span(calendar.working_time_between(now, question.due_at))} left"
            else:
                left = calendar.working_time_between(question.paused_at or now, question.due_at)
                question.span = f"{working_span(left)} left when paused" if left else "overdue when paused"
            question.with_expert = question.status in Question.WITH_EXPERT_STATUSES
            if question.with_expert:
                question.expert_choices = reassign_choices(question, experts)
            lists[state].append(question)
        counts = stats.open_state_counts(now)
        context.update(
            counts=[
                (sla.STATE_LABELS[key], counts[key], key)
                for key in (sla.ON_TRACK, sla.AT_RISK, sla.BREACHED, sla.PAUSED)
            ],
            sections=[
                (
                    sla.BREACHED,
                    "Breached",
                    "Still running and past their due time, most overdue first.",
                    lists[sla.BREACHED],
                ),
                (sla.AT_RISK, "At risk", "Past the warning point, not yet due: soonest due first.", lists[sla.AT_RISK]),
                (
                    sla.PAUSED,
                    "Waiting for the adviser",
                    "The expert asked for more detail; the clock is stopped until the adviser replies.",
                    lists[sla.PAUSED],
                ),
            ],
            board_path=self.request.get_full_path(),
        )
        return context


class ReassignView(CoordinatorView):
    http_method_names = ["post"]

    def post(self, request, pk):
        question = get_object_or_404(Question.objects.select_related("assignee"), pk=pk)
        back = request.POST.get("next", "")
        # A path on this site: anything else ("sla_board", "-1") would be taken by redirect() for a view name.
        if not back.startswith("/") or not url_has_allowed_host_and_scheme(
            back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            back = reverse("experts_admin:sla_board")
        form = ReassignForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Choose an active expert to reassign the question to; nothing was changed.")
            return redirect(back)
        profile = form.cleaned_data["expert"]
        previous = question.assignee
        try:
            services.question_reassign(
                question_id=question.pk,
                expert=profile.user,
                actor=request.user,
                reason=form.cleaned_data["note"].strip(),
            )
        except services.TransitionError as exc:
            messages.error(request, f"“{question.title}” was not reassigned: {exc}")
        else:
            messages.success(
                request,
                f"“{question.title}” reassigned from {previous.display_name if previous else 'nobody'} "
                f"to {profile.user.display_name}.",
            )
        return redirect(back)


# --- The panel -----------------------------------------------------------------------------------------------------

STATUS_ORDER = Case(
    When(status=ExpertProfile.Status.ACTIVE, then=Value(0)),
    When(status=ExpertProfile.Status.PAUSED, then=Value(1)),
    default=Value(2),
)
STATUS_ACTIONS = {
    ExpertProfile.Status.ACTIVE: "Activate",
    ExpertProfile.Status.PAUSED: "Pause",
    ExpertProfile.Status.RETIRED: "Retire",
}


def profile_url(view_name, *args):
    """A URL of the ExpertProfile snippet views (list, edit…): where profiles and fee rates are edited."""
    meta = ExpertProfile._meta
    return reverse(f"wagtailsnippets_{meta.app_label}_{meta.model_name}:{view_name}", args=args)


class PanelView(CoordinatorView):
    page_title = "Expert panel"
    header_icon = "group"
    template_name = "experts/admin/panel.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        profiles = list(
            ExpertProfile.objects.select_related("user")
            .prefetch_related("topics")
            .annotate(
                status_order=STATUS_ORDER,
                open_count=open_question_count(),
            )
            .order_by("status_order", "user__last_name", "user__first_name", "pk")
        )
        cards = stats.panel_scorecards(profile.user_id for profile in profiles)
        for profile in profiles:
            profile.card = cards[profile.user_id]
            profile.edit_url = profile_url("edit", profile.pk)
            profile.actions = [(status, label) for status, label in STATUS_ACTIONS.items() if status != profile.status]
        context["profiles"] = profiles
        context["pending_applications"] = ExpertApplication.objects.filter(
            status=ExpertApplication.Status.PENDING
        ).count()
        return context


class ExpertStatusView(CoordinatorView):
    """Activate, pause or retire an expert (POST); retiring hands their open questions back to routing."""

    http_method_names = ["post"]

    def post(self, request, pk):
        profile = get_object_or_404(ExpertProfile.objects.select_related("user"), pk=pk)
        status = request.POST.get("status", "")
        name = profile.user.display_name
        if status == profile.status:
            messages.info(request, f"{name} is already {profile.get_status_display().lower()}; nothing was changed.")
            return redirect("experts_admin:panel")
        try:
            profile, handed_back = panel_services.expert_set_status(profile_id=pk, status=status, actor=request.user)
        except panel_services.PanelError as exc:
            messages.error(request, f"{name}: {exc} Nothing was changed.")
            return redirect("experts_admin:panel")
        if status == ExpertProfile.Status.ACTIVE:
            messages.success(request, f"{name} is active: routing can give them new questions.")
        elif status == ExpertProfile.Status.PAUSED:
            messages.success(request, f"{name} is paused: they keep their open questions but get no new ones.")
        else:
            messages.success(
                request,
                f"{name} has retired from the panel: {handed_back} open question{pluralize(handed_back)} "
                "handed back to routing.",
            )
        return redirect("experts_admin:panel")


class RetireView(CoordinatorView):
    """Confirm retiring an expert: what happens to their open questions."""

    header_icon = "warning"
    template_name = "experts/admin/retire.html"

    def get_page_title(self):
        return "Retire an expert"

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse("experts_admin:panel"), "label": "Expert panel"},
            {"url": "", "label": self.get_page_title()},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        profile = get_object_or_404(ExpertProfile.objects.select_related("user"), pk=self.kwargs["pk"])
        context["profile"] = profile
        context["open_questions"] = (
            Question.objects.filter(assignee_id=profile.user_id, status__in=Question.WITH_EXPERT_STATUSES)
            .select_related("topic", "network")
            .order_by("due_at", "pk")
        )
        return context


# --- Applications to join ----------------------------------------------------------------------------------------


class ApplicationsView(CoordinatorView):
    page_title = "Applications"
    header_icon = "form"
    template_name = "experts/admin/applications.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        applications = ExpertApplication.objects.select_related("user", "decided_by").prefetch_related(
            Prefetch("topics", queryset=TopicPage.objects.order_by("title"))
        )
        context["pending"] = applications.filter(status=ExpertApplication.Status.PENDING).order_by("submitted_at", "pk")
        context["decided"] = Paginator(
            applications.exclude(status=ExpertApplication.Status.PENDING).order_by("-decided_at", "-pk"), 25
        ).get_page(self.request.GET.get("p"))
        return context


DECISION_NOTE_MAX = 5000


class ApplicationDecideView(CoordinatorView):
    http_method_names = ["post"]

    def post(self, request, pk):
        application = get_object_or_404(ExpertApplication.objects.select_related("user"), pk=pk)
        name = application.user.display_name
        action = request.POST.get("action")
        note = request.POST.get("note", "").strip()
        if "\x00" in note or len(note) > DECISION_NOTE_MAX:  # PostgreSQL refuses NUL in text: a 500, not a message
            messages.error(request, f"Write the note as plain text, at most {DECISION_NOTE_MAX:,} characters.")
            return redirect("experts_admin:applications")
        try:
            if action == "approve":
                profile = panel_services.application_approve(application_id=pk, actor=request.user, note=note)
                topics = ", ".join(topic.title for topic in profile.topics.order_by("title")) or "no topics yet"
                messages.success(request, f"{name} is on the panel, answering on {topics}; they have been told.")
            elif action == "reject":
                if not note:
                    messages.error(
                        request, f"Say why you are declining {name}'s application: they are told. Nothing was changed."
                    )
                else:
                    panel_services.application_reject(application_id=pk, actor=request.user, note=note)
                    messages.success(request, f"{name}'s application was declined; they have been told why.")
            else:
                messages.error(request, "Unknown action; nothing was changed.")
        except panel_services.PanelError as exc:
            messages.error(request, f"{name}: {exc}")
        return redirect("experts_admin:applications")


# --- Reports -------------------------------------------------------------------------------------------------------


class ComplianceReportView(CoordinatorView):
    page_title = "SLA compliance"
    header_icon = "time"
    template_name = "experts/admin/compliance.html"

    def get(self, request, *args, **kwargs):
        date_range, error = reports.parse_range(request.GET)
        if error:
            messages.error(request, error)
        elif charts.requested(request.GET):
            shown = [chart for grouping in reports.compliance(date_range)["groupings"] for chart in grouping.charts]
            return charts.download(request, shown, f"sla-compliance-{date_range.slug}")
        export = request.GET.get("export")
        if export:
            if export in reports.GROUPINGS and not error:
                return reports.compliance_csv(date_range, export)
            if export not in reports.GROUPINGS:
                messages.error(request, "Unknown export: choose week, expert, topic or network.")
        return self.render_to_response(self.get_context_data(date_range=date_range))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        date_range = kwargs["date_range"]
        context.update(reports.compliance(date_range))
        context["date_range"] = date_range
        context["query"] = urlencode({"from": date_range.start.isoformat(), "to": date_range.end.isoformat()})
        return context


class FeesReportView(CoordinatorView):
    page_title = "Expert fees"
    header_icon = "table"
    template_name = "experts/admin/fees.html"

    def get(self, request, *args, **kwargs):
        (year, month), error = reports.parse_month(request.GET.get("month"))
        if error:
            messages.error(request, error)
        elif request.GET.get("export") in exports.FORMATS:
            return reports.fees_download(year, month, request.GET["export"])
        return self.render_to_response(self.get_context_data(year=year, month=month))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        year, month = kwargs["year"], kwargs["month"]
        context.update(reports.fee_statement(year, month))
        context["unpriced"] = sum(1 for line in context["lines"] if not line.fee)
        context["profiles_url"] = profile_url("list")
        context["month_value"] = f"{year:04d}-{month:02d}"
        context["month_start"] = dt.date(year, month, 1)
        context["previous_month"] = "{:04d}-{:02d}".format(*reports.shift_month(year, month, -1))
        context["next_month"] = "{:04d}-{:02d}".format(*reports.shift_month(year, month, 1))
        return context
