"""Coordinator screens in the Wagtail admin: review answers; one question, with its audit trail and exits.

The list of every question is a viewset (``viewsets.py``).
"""

import datetime as dt
import re

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Min, Q
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape, linebreaks
from django.utils.safestring import mark_safe
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from subscriptions import access

from . import pii, services
from .forms import DuplicateForm, PublishForm, RejectForm, ReturnForm
from .models import AnswerReview, PersonalDataFlag, Question, QuestionPage
from .templatetags.knowledge_tags import render_markdown


class CoordinatorView(WagtailAdminTemplateMixin, TemplateView):
    """Base for coordinator screens: the admin already requires a login; this requires staff."""

    def dispatch(self, request, *args, **kwargs):
        if not access.is_coordinator(request.user):
            raise PermissionDenied("Only coordinators can use this screen.")
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.get_page_title()}]


class ReviewQueueView(CoordinatorView):
    page_title = "Answers to review"
    header_icon = "tasks"
    template_name = "knowledge/admin/review_queue.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        open_flags = Count("personal_data_flags", filter=Q(personal_data_flags__cleared_at=None))
        context["questions"] = (
            Question.objects.awaiting_review()
            .select_related("topic", "assignee", "network")
            .annotate(open_flags=open_flags)
            .order_by("answered_at")
        )
        context["updates"] = (
            AnswerReview.objects.filter(status=AnswerReview.Status.SUBMITTED)
            .select_related("page", "page__topic", "expert")
            .annotate(open_flags=open_flags)
            .order_by("submitted_at")
        )
        return context


def flags_in_context(flags, copy):
    """Each flag with the words around it in the copy (``before``, ``match``, ``after``), for highlighting; a
    redacted flag with its placeholder in place of its text (``placeholder``)."""
    for flag in flags:
        text = copy.get(flag.field, "")
        flag.placeholder = pii.PLACEHOLDERS.get(flag.kind, "")
        if flag.resolution == PersonalDataFlag.Resolution.REDACTED:
            length = len(flag.placeholder)
            start = flag.start if text[flag.start : flag.start + length] == flag.placeholder else -1
        else:
            length = len(flag.text)
            start = flag.start if text[flag.start : flag.start + length] == flag.text else text.find(flag.text)
        if start < 0:  # edited out since: show it alone
            flag.before, flag.match, flag.after = "", flag.text, ""
        else:
            flag.before, flag.match, flag.after = pii.context(text, start, length)
    return flags


# Placeholders in rendered HTML, outside tags (never inside an attribute): each is highlighted in the preview.
_TAG_OR_PLACEHOLDER = re.compile(
    r"(<(?:[^>\"']|\"[^\"]*\"|'[^']*')*>)|(" + "|".join(re.escape(p) for p in pii.PLACEHOLDERS.values()) + ")"
)


def mark_placeholders(html):
    """``html`` (safe, rendered) with each redaction placeholder in its text wrapped in a highlighting <mark>."""

    def mark(match):
        if match.group(1):
            return match.group(0)
        return f'<mark class="redacted" style="background:#c6ecd0;padding:0 2px">{match.group(2)}</mark>'

    return mark_safe(_TAG_OR_PLACEHOLDER.sub(mark, str(html)))


def copy_preview(copy):
    """The copy as readers will see it (the question's paragraphs, the answer's Markdown), placeholders marked."""
    return {
        "title": mark_placeholders(escape(copy.get("title", ""))),
        "question_text": mark_placeholders(linebreaks(copy.get("question_text", ""), autoescape=True)),
        "answer_text": mark_placeholders(render_markdown(copy.get("answer_text", ""))),
    }


class CopyReviewView(CoordinatorView):
    """Review the copy to publish: the coordinator takes out personal data (each flag shown in context, cleared by
    redacting it in one click, editing it out or marking it "not personal data"; the preview shows the copy as it
    will appear, placeholders highlighted), then publishes or returns it to the expert.

    Subclasses say what is reviewed (a new answer, or an update to a published one) and which services act on it.
    """

    header_icon = "doc-full"
    template_name = "knowledge/admin/review.html"

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse("knowledge_admin:review_queue"), "label": "Answers to review"},
            {"url": "", "label": self.get_page_title()},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        item, copy = kwargs["item"], kwargs["copy"]
        flags = flags_in_context(list(item.personal_data_flags.select_related("cleared_by").order_by("pk")), copy)
        context.update(
            flags=flags,
            open_flags=[flag for flag in flags if not flag.is_cleared],
            preview=copy_preview(copy),
            publish_form=kwargs.get("publish_form") or PublishForm(initial=copy),
            return_form=kwargs.get("return_form") or ReturnForm(),
        )
        return context

    def get(self, request, *args, **kwargs):
        item = self.get_item()
        if not self.in_review(item):
            messages.warning(request, "That answer is not waiting for review any more.")
            return self.gone(item)
        return self.render_to_response(self.get_context_data(item=item, copy=item.publishable_copy()))

    def post(self, request, *args, **kwargs):
        item = self.get_item()
        action = request.POST.get("action")
        here = redirect(request.path)
        try:
            if action == "clear":
                flag = item.personal_data_flags.filter(pk=_int(request.POST.get("flag"))).first()
                if flag is None:
                    messages.error(request, "That flag does not belong to this answer.")
                    return here
                services.personal_data_flag_clear(flag_id=flag.pk, actor=request.user)
                messages.success(request, f"Cleared: {flag} is not personal data.")
                return here
            if action == "redact":
                flag = item.personal_data_flags.filter(pk=_int(request.POST.get("flag"))).first()
                if flag is None:
                    messages.error(request, "That flag does not belong to this answer.")
                    return here
                done = services.personal_data_redact(flag_id=flag.pk, actor=request.user)
                report_redaction(request, done)
                return here
            if action == "redact_all":
                report_redaction(request, self.redact_all(item))
                return here
            if action == "return":
                return_form = ReturnForm(request.POST)
                if return_form.is_valid():
                    self.return_to_expert(item, comment=return_form.cleaned_data["comment"])
                    messages.success(request, f"Returned to {self.expert(item).display_name} with your comment.")
                    return redirect("knowledge_admin:review_queue")
                context = self.get_context_data(item=item, copy=item.publishable_copy(), return_form=return_form)
                return self.render_to_response(context)
            publish_form = PublishForm(request.POST)
            if not publish_form.is_valid():
                context = self.get_context_data(item=item, copy=item.publishable_copy(), publish_form=publish_form)
                return self.render_to_response(context)
            copy = publish_form.cleaned_data
            # Saved (and scanned again) first, so that edits are kept when publishing is refused.
            item = self.save_copy(item, copy)
            if action == "save":
                waiting = item.personal_data_flags.filter(cleared_at=None).count()
                messages.success(
                    request,
                    "Saved and checked again: "
                    + (
                        f"{waiting} possible item{'s' if waiting != 1 else ''} of personal data to clear."
                        if waiting
                        else "nothing left that looks like personal data."
                    ),
                )
                return here
            self.publish(item, copy)
            messages.success(request, f"Published “{copy['title']}”.")
            return redirect("knowledge_admin:review_queue")
        except (services.PersonalDataError, services.RedactionError) as exc:
            messages.error(request, str(exc))
            return here
        except services.TransitionError as exc:
            messages.error(request, str(exc))
            return self.gone(item)


def report_redaction(request, done):
    """Say what a redaction did: what was replaced with what, what was settled already, what was refused and why."""
    for flag in done.redacted:
        where = " here and on the published page" if done.page_changed else ""
        messages.success(
            request, f"Redacted{where}: {flag} is now “{pii.PLACEHOLDERS[flag.kind]}”. Check the preview below."
        )
    for flag in done.already:
        how = "redacted" if flag.resolution == PersonalDataFlag.Resolution.REDACTED else "edited out"
        messages.info(request, f"Nothing to do: {flag} was already {how}.")
    for flag, reason in done.refused:
        messages.error(request, f"Not redacted: {flag}: {reason}. It was left as it is; check the copy below.")
    if not (done.redacted or done.already or done.refused):
        messages.info(request, "Nothing to redact: no flag is waiting.")


def _int(value):
    value = value or ""
    return (
        int(value) if value.isascii() and value.isdigit() and len(value) <= 18 else None
    )  # int() refuses 4,300+ digits


class ReviewView(CopyReviewView):
    """A new answer: approve and publish it (editing out personal data), or return it to the expert."""

    def get_page_title(self):
        return "Review answer"

    def get_item(self):
        return get_object_or_404(
            Question.objects.select_related("topic", "assignee", "asker", "network", "answer"), pk=self.kwargs["pk"]
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["question"] = kwargs["item"]
        return context

    def in_review(self, question):
        return question.status == Question.Status.ANSWERED

    def gone(self, question):
        return redirect("knowledge_admin:question", pk=question.pk)

    def expert(self, question):
        return question.assignee

    def save_copy(self, question, copy):
        services.answer_copy_save(question_id=question.pk, actor=self.request.user, **copy)
        return self.get_item()

    def publish(self, question, copy):
        services.question_publish(question_id=question.pk, actor=self.request.user, **copy)

    def return_to_expert(self, question, *, comment):
        services.answer_return(question_id=question.pk, actor=self.request.user, comment=comment)

    def redact_all(self, question):
        return services.personal_data_redact_all(question_id=question.pk, actor=self.request.user)


class UpdateReviewView(CopyReviewView):
    """An expert's update to a published answer: publish it over the page's answer, or return it."""

    def get_page_title(self):
        return "Review updated answer"

    def get_item(self):
        return get_object_or_404(
            AnswerReview.objects.select_related("page", "page__topic", "expert"), pk=self.kwargs["pk"]
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["update"] = kwargs["item"]
        return context

    def in_review(self, review):
        return review.status == AnswerReview.Status.SUBMITTED

    def gone(self, review):
        return redirect("knowledge_admin:stale")

    def expert(self, review):
        return review.expert

    def save_copy(self, review, copy):
        return services.answer_review_copy_save(review_id=review.pk, actor=self.request.user, **copy)

    def publish(self, review, copy):
        services.answer_review_publish(review_id=review.pk, actor=self.request.user, **copy)

    def return_to_expert(self, review, *, comment):
        services.answer_review_return(review_id=review.pk, actor=self.request.user, comment=comment)

    def redact_all(self, review):
        return services.personal_data_redact_all(review_id=review.pk, actor=self.request.user)


class StaleAnswersView(CoordinatorView):
    """Published answers past their review date: how many wait on experts and on coordinators, by topic."""

    page_title = "Answers due for review"
    header_icon = "date"
    template_name = "knowledge/admin/stale.html"
    SOON_DAYS = 30

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        reviews = AnswerReview.objects.open()
        Status = AnswerReview.Status
        context["counts"] = reviews.aggregate(
            with_expert=Count("pk", filter=Q(status=Status.DUE, expert__isnull=False)),
            with_topic=Count("pk", filter=Q(status=Status.DUE, expert__isnull=True)),
            with_coordinators=Count("pk", filter=Q(status=Status.SUBMITTED)),
            oldest=Min("due_on"),
        )
        context["counts"]["soon"] = (
            QuestionPage.objects.live()
            .filter(review_queued_at=None, review_by__gte=today, review_by__lte=today + dt.timedelta(self.SOON_DAYS))
            .count()
        )
        context["soon_days"] = self.SOON_DAYS
        context["by_topic"] = (
            reviews.order_by()
            .values("page__topic__title")
            .annotate(
                due=Count("pk", filter=Q(status=Status.DUE)), submitted=Count("pk", filter=Q(status=Status.SUBMITTED))
            )
            .order_by("page__topic__title")
        )
        listing = reviews.select_related("page", "page__topic", "expert").order_by("due_on", "pk")
        context["reviews"] = Paginator(listing, 50).get_page(self.request.GET.get("p"))
        context["today"] = today
        return context


class QuestionAdminDetailView(CoordinatorView):
    """One question: its audit trail, the coordinator's exits (reject, close as duplicate), and, once published,
    its personal-data flags (one cleared as "not personal data" may still be redacted, from the page too)."""

    header_icon = "help"
    template_name = "knowledge/admin/question_detail.html"

    def get_page_title(self):
        return "Question"

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse("knowledge_admin:questions"), "label": "All questions"},
            {"url": "", "label": self.get_page_title()},
        ]

    def get_question(self):
        return get_object_or_404(
            Question.objects.select_related("topic", "assignee", "asker", "network", "page", "duplicate_of"),
            pk=self.kwargs["pk"],
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        question = kwargs.get("question") or self.get_question()
        answer = getattr(question, "answer", None)
        context.update(
            question=question,
            answer=answer,
            published_flags=self.published_flags(question, answer),
            events=question.events.select_related("actor"),
            reject_form=kwargs.get("reject_form") or RejectForm(),
            duplicate_form=kwargs.get("duplicate_form") or DuplicateForm(),
        )
        return context

    @staticmethod
    def published_flags(question, answer):
        """A published answer's flags, in the copy it was published from: one cleared as "not personal data" may
        still be redacted, from the published page too."""
        if question.status != Question.Status.PUBLISHED or answer is None:
            return []
        flags = list(question.personal_data_flags.select_related("cleared_by").order_by("pk"))
        return flags_in_context(flags, answer.publishable_copy())

    def post(self, request, *args, **kwargs):
        question = self.get_question()
        action = request.POST.get("action")
        if action == "redact":
            flag = question.personal_data_flags.filter(pk=_int(request.POST.get("flag"))).first()
            if flag is None:
                messages.error(request, "That flag does not belong to this answer.")
            else:
                try:
                    report_redaction(request, services.personal_data_redact(flag_id=flag.pk, actor=request.user))
                except services.TransitionError as exc:
                    messages.error(request, str(exc))
            return redirect("knowledge_admin:question", pk=question.pk)
        form_class = {"reject": RejectForm, "duplicate": DuplicateForm}.get(action)
        if form_class is None:
            messages.error(request, "Unknown action.")
            return redirect("knowledge_admin:question", pk=question.pk)
        form = form_class(request.POST)
        if not form.is_valid():
            context = self.get_context_data(question=question, **{f"{action}_form": form})
            return self.render_to_response(context, status=400)
        try:
            if action == "reject":
                services.question_reject(
                    question_id=question.pk, actor=request.user, reason=form.cleaned_data["reason"]
                )
                messages.success(request, "Question rejected; the adviser has been told why.")
            else:
                services.question_close_as_duplicate(
                    question_id=question.pk,
                    actor=request.user,
                    duplicate_of=form.cleaned_data["duplicate_of"],
                    note=form.cleaned_data["note"],
                )
                messages.success(request, "Closed as a duplicate; the adviser has been sent the existing answer.")
        except services.TransitionError as exc:
            messages.error(request, str(exc))
        return redirect("knowledge_admin:question", pk=question.pk)
