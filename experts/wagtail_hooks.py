from django.urls import include, path, reverse
from wagtail import hooks
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from qa_site.knowledge.wagtail_hooks import QUESTIONS_MENU_HOOK, CoordinatorMenuItem

from . import admin_views
from .models import ExpertProfile

admin_urlpatterns = [
    path("triage/", admin_views.TriageQueueView.as_view(), name="triage"),
    path("triage/<int:pk>/assign/", admin_views.AssignView.as_view(), name="assign"),
]


@hooks.register("register_admin_urls")
def register_admin_urls():
    return [path("routing/", include((admin_urlpatterns, "experts_admin")))]


@hooks.register(QUESTIONS_MENU_HOOK)
def triage_menu_item():
    return CoordinatorMenuItem("Triage queue", reverse("experts_admin:triage"), icon_name="warning", order=20)


class ExpertProfileViewSet(SnippetViewSet):
    model = ExpertProfile
    icon = "user"
    menu_label = "Experts"
    menu_order = 60
    add_to_admin_menu = True
    list_display = ["__str__", "headline", "status", "accepting_new", "max_open_questions"]
    list_filter = ["status", "accepting_new", "topics"]
    search_fields = ["headline", "organisation", "bio"]
    panels = [
        FieldPanel("user"),
        FieldPanel("slug"),
        FieldPanel("headline"),
        FieldPanel("organisation"),
        FieldPanel("bio"),
        FieldPanel("topics"),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("status"), FieldPanel("accepting_new"), FieldPanel("max_open_questions")]),
                FieldRowPanel([FieldPanel("away_from"), FieldPanel("away_until")]),
            ],
            heading="Availability",
        ),
    ]


register_snippet(ExpertProfileViewSet)
