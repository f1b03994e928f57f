from django.urls import include, path, reverse
from django.utils import timezone
from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from . import access, admin_views, joining_admin
from .models import Invoice, JoinRequest, Membership, Network, Plan, Subscription

BILLING_MENU_HOOK = "register_billing_menu_item"
# The Q&A core's dashboard hook (qa_site/knowledge/dashboard.py), named here because this app cannot import the core.
WORK_QUEUES_HOOK = "register_coordinator_work_queues"


class NetworkViewSet(SnippetViewSet):
    model = Network
    icon = "group"
    list_display = ["name", "website", "created_at"]
    search_fields = ["name"]


class PlanViewSet(SnippetViewSet):
    model = Plan
    icon = "tag"
    list_display = ["name", "annual_price", "included_seats", "sla_hours"]


class SubscriptionViewSet(SnippetViewSet):
    model = Subscription
    icon = "date"
    list_display = ["network", "plan", "status", "starts_on", "ends_on"]
    list_filter = ["status", "plan"]


class MembershipViewSet(SnippetViewSet):
    model = Membership
    icon = "user"
    list_display = ["user", "network", "role", "organisation", "joined_at"]
    list_filter = ["network", "role"]


class SubscriptionsGroup(SnippetViewSetGroup):
    menu_label = "Networks"
    menu_icon = "group"
    menu_order = 70
    items = (NetworkViewSet, SubscriptionViewSet, MembershipViewSet, PlanViewSet)


register_snippet(SubscriptionsGroup)


# --- The billing console ----------------------------------------------------------------------------------------

admin_urlpatterns = [
    path("networks/", admin_views.NetworksView.as_view(), name="networks"),
    path("networks/<int:pk>/start/", admin_views.StartView.as_view(), name="start"),
    path("subscriptions/<int:pk>/change/", admin_views.ChangeView.as_view(), name="change"),
    path("subscriptions/<int:pk>/cancel/", admin_views.CancelView.as_view(), name="cancel"),
    path("invoices/", admin_views.InvoicesView.as_view(), name="invoices"),
    path("invoices/<int:pk>/", admin_views.InvoiceView.as_view(), name="invoice"),
    path("invoices/<int:pk>/print/", admin_views.InvoicePrintView.as_view(), name="invoice_print"),
    path("invoices/<int:pk>/csv/", admin_views.InvoiceCSVView.as_view(), name="invoice_csv"),
    path("invoices/<int:pk>/void/", admin_views.InvoiceVoidView.as_view(), name="invoice_void"),
    path("webhooks/", admin_views.WebhookEventsView.as_view(), name="webhooks"),
    path("report/", admin_views.BillingReportView.as_view(), name="report"),
]


@hooks.register("register_admin_urls")
def register_admin_urls():
    return [path("billing/", include((admin_urlpatterns, "billing_admin")))]


class CoordinatorMenuItem(MenuItem):
    def is_shown(self, request):
        return access.is_coordinator(request.user)


@hooks.register("register_admin_menu_item")
def register_billing_menu():
    return SubmenuMenuItem("Billing", Menu(register_hook_name=BILLING_MENU_HOOK), icon_name="doc-full", order=75)


@hooks.register(BILLING_MENU_HOOK)
def networks_menu_item():
    return CoordinatorMenuItem(
        "Networks and subscriptions", reverse("billing_admin:networks"), icon_name="group", order=10
    )


@hooks.register(BILLING_MENU_HOOK)
def invoices_menu_item():
    return CoordinatorMenuItem("Invoices", reverse("billing_admin:invoices"), icon_name="doc-full", order=20)


@hooks.register(BILLING_MENU_HOOK)
def webhooks_menu_item():
    return CoordinatorMenuItem("Webhook deliveries", reverse("billing_admin:webhooks"), icon_name="link", order=30)


@hooks.register(BILLING_MENU_HOOK)
def billing_settings_menu_item():
    return CoordinatorMenuItem(
        "Billing settings",
        reverse("wagtailsettings:edit", args=["subscriptions", "billingsettings"]),
        icon_name="cog",
        order=40,
    )


@hooks.register("register_reports_menu_item")
def billing_report_menu_item():
    return CoordinatorMenuItem("Billing", reverse("billing_admin:report"), icon_name="table", order=120)


# --- Networks joining through /subscribe/ --------------------------------------------------------------------------

joining_urlpatterns = [
    path("", joining_admin.JoinRequestsView.as_view(), name="list"),
    path("<int:pk>/", joining_admin.JoinRequestView.as_view(), name="detail"),
]


@hooks.register("register_admin_urls")
def register_joining_urls():
    return [path("joining/", include((joining_urlpatterns, "joining_admin")))]


@hooks.register(BILLING_MENU_HOOK)
def joining_menu_item():
    return CoordinatorMenuItem("Networks joining", reverse("joining_admin:list"), icon_name="group", order=5)


# --- The coordinator's home: the work waiting --------------------------------------------------------------------


@hooks.register(WORK_QUEUES_HOOK)
def billing_work_queues(request):
    """Networks joining and overdue invoices: two queries."""
    joining = JoinRequest.objects.filter(status=JoinRequest.Status.PENDING).count()
    overdue = Invoice.objects.filter(status=Invoice.Status.ISSUED, due_on__lt=timezone.localdate()).count()
    return [
        {
            "label": "Networks joining",
            "count": joining,
            "url": reverse("joining_admin:list"),
            "note": "Organisations asking to subscribe, waiting for a decision.",
            "order": 70,
        },
        {
            "label": "Overdue invoices",
            "count": overdue,
            "url": reverse("billing_admin:invoices") + "?overdue=on",
            "note": "Issued invoices past their due date and not paid in full.",
            "order": 80,
            "urgent": True,
        },
    ]
