from subscriptions import access
from subscriptions.models import Membership


def navigation(request):
    """What the site header offers this person (left on the request by ``pagecache.audience_of`` when known)."""
    nav = getattr(request, "qa_nav", None)
    if nav is not None:
        return {"nav": nav}
    user = request.user
    if not user.is_authenticated:
        return {"nav": {}}
    can_ask = access.can_ask(user)
    nav = {
        "can_ask": can_ask,
        "has_questions": can_ask or user.questions_asked.exists(),
        "is_expert": access.is_panel_expert(user),
        "is_coordinator": access.is_coordinator(user),
        "is_network_admin": Membership.objects.filter(user=user, role=Membership.Role.ADMIN).exists(),
    }
    request.qa_nav = nav
    return {"nav": nav}
