"""Coordinator screens in the Wagtail admin: review answers, browse every question."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from subscriptions import access

from . import services
from .forms import DuplicateForm, PublishForm, RejectForm, ReturnForm
from .models import Question


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
        context["questions"] = (
            Question.objects.awaiting_review().select_related("topic", "assignee", "network").order_by("answered_at")
        )
        return context


class ReviewView(CoordinatorView):
    """Approve and publish an answer (editing out personal data), or return it to the expert."""

    header_icon = "doc-full"
    template_name = "knowledge/admin/review.html"

    def get_page_title(self):
        return "Review answer"

    def get_question(self):
        return get_object_or_404(
            Question.objects.select_related("topic", "assignee", "asker", "network", "answer"), pk=self.kwargs["pk"]
        )

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse("knowledge_admin:review_queue"), "label": "Answers to review"},
            {"url": "", "label": self.get_page_title()},
        ]

    def get(self, request, *args, **kwargs):
        question = self.get_question()
        if question.status != Question.Status.ANSWERED:
            messages.warning(request, "That answer is not waiting for review any more.")
            return redirect("knowledge_admin:question", pk=question.pk)
        publish_form = PublishForm(
            initial={"title": question.title, "question_text": question.details, "answer_text": question.answer.body}
        )
        return self.render_to_response(
            self.get_context_data(question=question, publish_form=publish_form, return_form=ReturnForm())
        )

    def post(self, request, *args, **kwargs):
        question = self.get_question()
        publish_form, return_form = PublishForm(), ReturnForm()
        try:
            if request.POST.get("action") == "return":
                return_form = ReturnForm(request.POST)
                if return_form.is_valid():
                    services.answer_return(
                        question_id=question.pk, actor=request.user, comment=return_form.cleaned_data["comment"]
                    )
                    messages.success(request, f"Returned to {question.assignee.display_name} with your comment.")
                    return redirect("knowledge_admin:review_queue")
                publish_form = PublishForm(
                    initial={
                        "title": question.title,
                        "question_text": question.details,
                        "answer_text": question.answer.body,
                    }
                )
            else:
                publish_form = PublishForm(request.POST)
                if publish_form.is_valid():
                    services.question_publish(question_id=question.pk, actor=request.user, **publish_form.cleaned_data)
                    messages.success(request, f"Published “{publish_form.cleaned_data['title']}”.")
                    return redirect("knowledge_admin:review_queue")
        except services.TransitionError as exc:
            messages.error(request, str(exc))
            return redirect("knowledge_admin:question", pk=question.pk)
        return self.render_to_response(
            self.get_context_data(question=question, publish_form=publish_form, return_form=return_form)
        )


class QuestionListView(CoordinatorView):
    page_title = "All questions"
    header_icon = "list-ul"
    template_name = "knowledge/admin/question_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        questions = Question.objects.select_related("topic", "assignee", "network").order_by("-submitted_at")
        status = self.request.GET.get("status", "")
        if status in Question.Status.values:
            questions = questions.filter(status=status)
        else:
            status = ""
        context["questions"] = Paginator(questions, 50).get_page(self.request.GET.get("p"))
        context["statuses"] = Question.Status.choices
        context["current_status"] = status
        return context


class QuestionAdminDetailView(CoordinatorView):
    """One question: its audit trail, and the coordinator's exits (reject, close as duplicate)."""

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
        context.update(
            question=question,
            answer=getattr(question, "answer", None),
            events=question.events.select_related("actor"),
            reject_form=kwargs.get("reject_form") or RejectForm(),
            duplicate_form=kwargs.get("duplicate_form") or DuplicateForm(),
        )
        return context

    def post(self, request, *args, **kwargs):
        question = self.get_question()
        action = request.POST.get("action")
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
