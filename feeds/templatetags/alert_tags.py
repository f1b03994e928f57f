"""``{% follow_button page %}``: the Follow / Unfollow button on topic and answer pages (subscribers only)."""

from django import template

from qa_site.knowledge.models import TopicPage
from subscriptions import access

from ..alerts import follow_of

register = template.Library()


@register.inclusion_tag("feeds/alerts/includes/follow_button.html", takes_context=True)
def follow_button(context, page):
    request = context.get("request")
    user = getattr(request, "user", None)
    if request is None or not access.has_subscriber_access(user):
        return {"show": False}
    return {
        "show": True,
        "page": page,
        "is_topic": isinstance(page, TopicPage),
        "follow": follow_of(user, page),
        "next": request.get_full_path(),
        "csrf_token": context.get("csrf_token"),
    }
