from django.db.models import Count, Q
from django.urls import include, path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.viewsets.base import ViewSetGroup

from subscriptions import access

from . import admin_views
from .dashboard import WORK_QUEUES_HOOK, WorkWaitingPanel
from .models import AnswerReview, Question
from .viewsets import question_list_viewset

QUESTIONS_MENU_HOOK = "register_questions_menu_item"

admin_urlpatterns = [
    path("review/", admin_views.ReviewQueueView.as_view(), name="review_queue"),
    path("review/<int:pk>/", admin_views.ReviewView.as_view(), name="review"),
    path("review/updates/<int:pk>/", admin_views.UpdateReviewView.as_view(), name="review_update"),
    path("due-for-review/", admin_views.StaleAnswersView.as_view(), name="stale"),
    # The list of every question is a viewset at this same address (viewsets.py); the old name still reverses here.
    path("all/", question_list_viewset.index_view, name="questions"),
    path("<int:pk>/", admin_views.QuestionAdminDetailView.as_view(), name="question"),
]


@hooks.register("register_admin_urls")
def register_admin_urls():
    return [path("questions/", include((admin_urlpatterns, "knowledge_admin")))]


class CoordinatorMenuItem(MenuItem):
    def is_shown(self, request):
        return access.is_coordinator(request.user)


class QuestionsMenu(ViewSetGroup):
    """The Questions menu: the list of every question (a viewset) and the work queues other apps add by hook."""

    menu_label = "Questions"
    menu_icon = "help"
    menu_order = 50
    submenu_hook = QUESTIONS_MENU_HOOK
    items = (question_list_viewset,)


@hooks.register("register_admin_viewset")
def register_questions_menu():
    return QuestionsMenu()


@hooks.register(QUESTIONS_MENU_HOOK)
def review_menu_item():
    return CoordinatorMenuItem(
        "Answers to review", reverse("knowledge_admin:review_queue"), icon_name="tasks", order=10
    )


@hooks.register(QUESTIONS_MENU_HOOK)
def stale_menu_item():
    return CoordinatorMenuItem("Answers due for review", reverse("knowledge_admin:stale"), icon_name="date", order=15)


# --- The coordinator's home: the work waiting --------------------------------------------------------------------


@hooks.register("construct_homepage_panels")
def work_waiting_panel(request, panels):
    if access.is_coordinator(request.user):
        panels.insert(0, WorkWaitingPanel(request))


@hooks.register("construct_homepage_summary_items", order=1000)  # after Wagtail adds its own
def no_page_count_for_coordinators(request, summary_items):
    """Wagtail's "N Pages" summary says nothing about the work: coordinators see the work waiting instead."""
    if access.is_coordinator(request.user):
        summary_items.clear()


@hooks.register(WORK_QUEUES_HOOK)
def review_work_queues(request):
    """Answers to review (new answers and updates to published ones) and answers past their review date: two
    queries."""
    answers = Question.objects.awaiting_review().count()
    reviews = AnswerReview.objects.aggregate(
        submitted=Count("pk", filter=Q(status=AnswerReview.Status.SUBMITTED)),
        due=Count("pk", filter=Q(status=AnswerReview.Status.DUE)),
    )
    return [
        {
            "label": "Answers waiting for review",
            "count": answers + reviews["submitted"],
            "url": reverse("knowledge_admin:review_queue"),
            "note": "New answers and updates to published answers, to check and publish.",
            "order": 20,
        },
        {
            "label": "Answers past their review date",
            "count": reviews["due"],
            "url": reverse("knowledge_admin:stale"),
            "note": "Published answers waiting for their expert to confirm or update them.",
            "order": 50,
        },
    ]
