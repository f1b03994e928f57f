from subscriptions import access
from subscriptions.models import Membership


def navigation(request):
    """What the site header offers this person."""
    user = request.user
    if not user.is_authenticated:
        return {"nav": {}}
    return {
        "nav": {
            "can_ask": access.can_ask(user),
            "is_expert": access.is_panel_expert(user),
            "is_coordinator": access.is_coordinator(user),
            "is_network_admin": Membership.objects.filter(user=user, role=Membership.Role.ADMIN).exists(),
        }
    }
