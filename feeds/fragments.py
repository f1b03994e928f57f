"""The Follow / Unfollow button on topic and answer pages, as a personal fragment (see ``pagecache``)."""

from qa_site.knowledge import pagecache
from subscriptions import access

from .models import Follow


@pagecache.fragment("follow", "feeds/alerts/includes/follow_button.html")
def follow(request, *, page_id, is_topic):
    """For subscribers: their follow of the page (a topic, or an answer), and the form to change it."""
    user = request.user
    if not access.has_subscriber_access(user):
        return {"show": False}
    field = "topic_id" if is_topic else "question_page_id"
    return {
        "show": True,
        "page": {"pk": page_id},
        "is_topic": is_topic,
        "follow": Follow.objects.filter(user=user, **{field: page_id}).first(),
        "next": request.get_full_path(),
    }
