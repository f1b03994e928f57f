from django.urls import include, path, reverse
from django.utils import timezone
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from qa_site import exports

from . import access, admin_views, joining_admin
from .models import Invoice, JoinRequest, Membership, Network, Plan, Subscription
from .viewsets import invoice_list_viewset

BILLING_MENU_HOOK = "register_billing_menu_item"
# The Q&A core's dashboard hook (qa_site/knowledge/dashboard.py), named here because this app cannot import the core.
WORK_QUEUES_HOOK = "register_coordinator_work_queues"


class ExportingSnippetViewSet(SnippetViewSet):
    """A snippet listing whose CSV download guards text against spreadsheet formulas (qa_site.exports); Wagtail's
    own listing view, told how to write text cells."""

    def get_index_view_kwargs(self, **kwargs):
        return super().get_index_view_kwargs(custom_value_preprocess=exports.GUARDED_VALUE_PREPROCESS, **kwargs)


class NetworkViewSet(ExportingSnippetViewSet):
    model = Network
    icon = "group"
    list_display = ["name", "website", "created_at"]
    search_fields = ["name", "billing_email"]
    ordering = "name"
    list_export = ["name", "slug", "website", "billing_email", "billing_address", "vat_number", "created_at"]
    export_headings = {"billing_email": "Billing e-mail", "vat_number": "VAT number", "created_at": "Created"}
    export_filename = "networks"


class PlanViewSet(SnippetViewSet):
    model = Plan
    icon = "tag"
    list_display = ["name", "annual_price", "included_seats", "sla_hours"]


class SubscriptionViewSet(ExportingSnippetViewSet):
    model = Subscription
    icon = "date"
    list_display = ["network", "plan", "status", "starts_on", "ends_on"]
    list_filter = ["status", "plan"]
    search_fields = ["network__name"]
    list_export = ["network.name", "plan.name", "get_status_display", "seats", "starts_on", "ends_on", "access_until"]
    export_headings = {"network.name": "Network", "plan.name": "Plan", "get_status_display": "Status"}
    export_filename = "subscriptions"


class MembershipViewSet(ExportingSnippetViewSet):
    model = Membership
    icon = "user"
    list_display = ["user", "network", "role", "organisation", "joined_at"]
    list_filter = ["network", "role"]
    search_fields = ["user__email", "user__first_name", "user__last_name", "organisation"]
    list_export = ["user", "user.email", "network.name", "get_role_display", "organisation", "joined_at"]
    export_headings = {
        "user": "Name",
        "user.email": "E-mail",
        "network.name": "Network",
        "get_role_display": "Role",
        "joined_at": "Joined",
    }
    export_filename = "members"


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
    # The list of invoices is a viewset at this same address (viewsets.py); the old name still reverses here.
    path("invoices/", invoice_list_viewset.index_view, name="invoices"),
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


class BillingMenu(ViewSetGroup):
    """The Billing menu: the list of invoices (a viewset) and the console's other screens, added by hook."""

    menu_label = "Billing"
    menu_icon = "doc-full"
    menu_order = 75
    submenu_hook = BILLING_MENU_HOOK
    items = (invoice_list_viewset,)


@hooks.register("register_admin_viewset")
def register_billing_menu():
    return BillingMenu()


@hooks.register(BILLING_MENU_HOOK)
def networks_menu_item():
    return CoordinatorMenuItem(
        "Networks and subscriptions", reverse("billing_admin:networks"), icon_name="group", order=10
    )


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
