from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from .models import Membership, Network, Plan, Subscription


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
