from django.urls import include, path, reverse
from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem

from subscriptions import access

from . import admin_views

QUESTIONS_MENU_HOOK = "register_questions_menu_item"

admin_urlpatterns = [
    path("review/", admin_views.ReviewQueueView.as_view(), name="review_queue"),
    path("review/<int:pk>/", admin_views.ReviewView.as_view(), name="review"),
    path("review/updates/<int:pk>/", admin_views.UpdateReviewView.as_view(), name="review_update"),
    path("due-for-review/", admin_views.StaleAnswersView.as_view(), name="stale"),
    path("all/", admin_views.QuestionListView.as_view(), name="questions"),
    path("<int:pk>/", admin_views.QuestionAdminDetailView.as_view(), name="question"),
]


@hooks.register("register_admin_urls")
def register_admin_urls():
    return [path("questions/", include((admin_urlpatterns, "knowledge_admin")))]


class CoordinatorMenuItem(MenuItem):
    def is_shown(self, request):
        return access.is_coordinator(request.user)


@hooks.register("register_admin_menu_item")
def register_questions_menu():
    return SubmenuMenuItem("Questions", Menu(register_hook_name=QUESTIONS_MENU_HOOK), icon_name="help", order=50)


@hooks.register(QUESTIONS_MENU_HOOK)
def review_menu_item():
    return CoordinatorMenuItem(
        "Answers to review", reverse("knowledge_admin:review_queue"), icon_name="tasks", order=10
    )


@hooks.register(QUESTIONS_MENU_HOOK)
def stale_menu_item():
    return CoordinatorMenuItem("Answers due for review", reverse("knowledge_admin:stale"), icon_name="date", order=15)


@hooks.register(QUESTIONS_MENU_HOOK)
def all_questions_menu_item():
    return CoordinatorMenuItem("All questions", reverse("knowledge_admin:questions"), icon_name="list-ul", order=90)
