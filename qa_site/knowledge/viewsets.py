"""The console's list of every question, as a Wagtail viewset: filters, ordering, search, CSV and XLSX.

Acting on a question (rejecting it, closing it as a duplicate, reviewing its answer) stays on its own screens; each
row links to the question's page in the console (``knowledge_admin:question``).
"""

from django.urls import reverse
from django.utils import dateformat, timezone
from wagtail.admin.ui.tables import Column

from subscriptions.console import ConsoleListViewSet

from .models import Question


def local(moment, format_string):
    return dateformat.format(timezone.localtime(moment), format_string)


def due(question):
    if question.due_at is None:
        return "—"
    return local(question.due_at, "j M H:i") + (", overdue" if question.is_overdue else "")


class QuestionListViewSet(ConsoleListViewSet):
    model = Question
    name = "all_questions"
    url_prefix = "questions/all"
    icon = "list-ul"
    menu_label = "All questions"
    menu_order = 90
    list_display = [
        "title",
        "status",
        "topic",
        Column("assignee", label="Expert", accessor=lambda q: q.assignee.display_name if q.assignee else "—"),
        "network",
        Column(
            "submitted_at", label="Asked", accessor=lambda q: local(q.submitted_at, "j M Y"), sort_key="submitted_at"
        ),
        Column("due_at", label="Due", accessor=due, sort_key="due_at"),
    ]
    list_filter = ["status", "needs_triage", "visibility", "topic", "network"]
    search_fields = ["title", "details"]
    search_backend_name = None  # the database's own matching: questions are not in Wagtail's search index
    ordering = "-submitted_at"
    list_export = [
        "pk",
        "title",
        "get_status_display",
        "needs_triage",
        "visibility",
        "topic",
        "network",
        "assignee",
        "submitted_at",
        "due_at",
        "answered_at",
        "published_at",
        "sla_met",
    ]
    export_headings = {
        "pk": "Id",
        "get_status_display": "Status",
        "needs_triage": "In triage",
        "visibility": "Visibility",
        "assignee": "Expert",
        "submitted_at": "Asked",
        "due_at": "Due",
        "answered_at": "Answered",
        "published_at": "Published",
        "sla_met": "SLA met",
    }
    export_filename = "questions"

    def get_index_view_kwargs(self, **kwargs):
        return super().get_index_view_kwargs(
            page_title="All questions",
            queryset=Question.objects.select_related("topic", "assignee", "network"),
            **kwargs,
        )

    def detail_url(self, question):
        return reverse("knowledge_admin:question", args=[question.pk])


question_list_viewset = QuestionListViewSet()
