from django.db.models import Count, Q
from django.urls import include, path, reverse
from django.utils import timezone
from wagtail import hooks
from wagtail.admin.menu import Menu, SubmenuMenuItem
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from qa_site.knowledge.dashboard import WORK_QUEUES_HOOK
from qa_site.knowledge.models import Question
from qa_site.knowledge.wagtail_hooks import QUESTIONS_MENU_HOOK, CoordinatorMenuItem

from . import admin_views, stats
from .models import ExpertApplication, ExpertProfile

EXPERTS_MENU_HOOK = "register_experts_menu_item"

admin_urlpatterns = [
    path("routing/triage/", admin_views.TriageQueueView.as_view(), name="triage"),
    path("routing/triage/<int:pk>/assign/", admin_views.AssignView.as_view(), name="assign"),
    path("routing/sla/", admin_views.SLABoardView.as_view(), name="sla_board"),
    path("routing/questions/<int:pk>/reassign/", admin_views.ReassignView.as_view(), name="reassign"),
    path("experts/panel/", admin_views.PanelView.as_view(), name="panel"),
    path("experts/panel/<int:pk>/status/", admin_views.ExpertStatusView.as_view(), name="expert_status"),
    path("experts/panel/<int:pk>/retire/", admin_views.RetireView.as_view(), name="expert_retire"),
    path("experts/applications/", admin_views.ApplicationsView.as_view(), name="applications"),
    path(
        "experts/applications/<int:pk>/decide/", admin_views.ApplicationDecideView.as_view(), name="application_decide"
    ),
    path("experts/reports/sla-compliance/", admin_views.ComplianceReportView.as_view(), name="compliance"),
    path("experts/reports/fees/", admin_views.FeesReportView.as_view(), name="fees"),
]


@hooks.register("register_admin_urls")
def register_admin_urls():
    return [path("", include((admin_urlpatterns, "experts_admin")))]


# --- Questions menu -------------------------------------------------------------------------------------------------


@hooks.register(QUESTIONS_MENU_HOOK)
def triage_menu_item():
    return CoordinatorMenuItem("Triage queue", reverse("experts_admin:triage"), icon_name="warning", order=20)


@hooks.register(QUESTIONS_MENU_HOOK)
def sla_board_menu_item():
    return CoordinatorMenuItem("SLA board", reverse("experts_admin:sla_board"), icon_name="time", order=30)


# --- Experts menu ---------------------------------------------------------------------------------------------------


@hooks.register("register_admin_menu_item")
def register_experts_menu():
    return SubmenuMenuItem("Experts", Menu(register_hook_name=EXPERTS_MENU_HOOK), icon_name="group", order=60)


@hooks.register(EXPERTS_MENU_HOOK)
def panel_menu_item():
    return CoordinatorMenuItem("Panel", reverse("experts_admin:panel"), icon_name="group", order=10)


@hooks.register(EXPERTS_MENU_HOOK)
def applications_menu_item():
    return CoordinatorMenuItem("Applications", reverse("experts_admin:applications"), icon_name="form", order=20)


@hooks.register(EXPERTS_MENU_HOOK)
def profiles_menu_item():
    return CoordinatorMenuItem(
        "Profiles and fee rates", reverse(expert_profile_viewset.get_url_name("list")), icon_name="user", order=30
    )


# --- Reports menu ---------------------------------------------------------------------------------------------------


@hooks.register("register_reports_menu_item")
def compliance_report_menu_item():
    return CoordinatorMenuItem("SLA compliance", reverse("experts_admin:compliance"), icon_name="time", order=100)


@hooks.register("register_reports_menu_item")
def fees_report_menu_item():
    return CoordinatorMenuItem("Expert fees", reverse("experts_admin:fees"), icon_name="table", order=110)


# --- Profiles (snippet) ---------------------------------------------------------------------------------------------


class ExpertProfileViewSet(SnippetViewSet):
    """Editing a profile and its fee rates. Status is read-only here: the panel's buttons change it, so that
    retiring hands the expert's open questions back to routing."""

    model = ExpertProfile
    icon = "user"
    menu_label = "Expert profiles"
    add_to_admin_menu = False  # listed under Experts → Profiles and fee rates
    list_display = ["__str__", "headline", "status", "accepting_new", "max_open_questions"]
    list_filter = ["status", "accepting_new", "topics"]
    search_fields = ["headline", "organisation", "bio"]
    panels = [
        FieldPanel("user"),
        FieldPanel("slug"),
        FieldPanel("headline"),
        FieldPanel("organisation"),
        FieldPanel("bio"),
        FieldPanel("photo"),
        FieldPanel("topics"),
        MultiFieldPanel(
            [
                FieldPanel(
                    "status",
                    read_only=True,
                    help_text="Change it with the Activate, Pause and Retire buttons of Experts → Panel.",
                ),
                FieldRowPanel([FieldPanel("accepting_new"), FieldPanel("max_open_questions")]),
                FieldRowPanel([FieldPanel("away_from"), FieldPanel("away_until")]),
            ],
            heading="Availability",
        ),
        InlinePanel(
            "fee_rates",
            heading="Fee rates",
            label="Fee rate",
            panels=[FieldPanel("topic"), FieldPanel("amount"), FieldPanel("effective_from")],
            help_text="What the expert earns per published answer. Add a new rate with a later start date rather "
            "than changing one already used: earlier statements keep the rate that applied.",
        ),
    ]


expert_profile_viewset = ExpertProfileViewSet()
register_snippet(expert_profile_viewset)


# --- The coordinator's home: the work waiting --------------------------------------------------------------------


@hooks.register(WORK_QUEUES_HOOK)
def routing_work_queues(request):
    """The triage queue, questions at risk and breached, applications to join the panel: three queries."""
    triage = Question.objects.in_triage().count()
    sla = stats.open_state_counts(timezone.now())
    applications = ExpertApplication.objects.aggregate(
        pending=Count("pk", filter=Q(status=ExpertApplication.Status.PENDING))
    )["pending"]
    board = reverse("experts_admin:sla_board")
    return [
        {
            "label": "Triage queue",
            "count": triage,
            "url": reverse("experts_admin:triage"),
            "note": "Questions routing could not give to an expert: assign each by hand.",
            "order": 10,
        },
        {
            "label": "Questions breached",
            "count": sla["breached"],
            "url": f"{board}#breached",
            "note": "Past their due time and not yet answered.",
            "order": 30,
            "urgent": True,
        },
        {
            "label": "Questions at risk",
            "count": sla["at_risk"],
            "url": f"{board}#at_risk",
            "note": "Past the SLA warning point, not yet due.",
            "order": 40,
        },
        {
            "label": "Expert applications",
            "count": applications,
            "url": reverse("experts_admin:applications"),
            "note": "People asking to join the panel, waiting for a decision.",
            "order": 60,
        },
    ]
