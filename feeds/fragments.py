"""The Follow / Unfollow button on topic and answer pages, as a personal fragment (see ``pagecache``)."""

from qa_site.knowledge import pagecache
from subscriptions import access

from .models import Follow


def _follow_vary(request, context):
    if not context["show"]:
        return ()
    follow = context["follow"]
    followed = (follow.pk, follow.frequency) if follow else None
    return (context["page"]["pk"], context["is_topic"], followed, context["next"])


def _follow_lookup(request, *, page_id, is_topic):
    if not access.has_subscriber_access(request.user):
        return []
    column = "topic_id" if is_topic else "question_page_id"
    where = f"FROM {Follow._meta.db_table} WHERE user_id = %s AND {column} = %s"
    return [(f"SELECT {field} {where} LIMIT 1", [request.user.pk, page_id]) for field in ("id", "frequency")]


@pagecache.fragment("follow", "feeds/alerts/includes/follow_button.html", vary=_follow_vary, lookup=_follow_lookup)
def follow(request, *, page_id, is_topic, looked_up):
    """For subscribers: their follow of the page (a topic, or an answer), and the form to change it. Their follow is
    read (by an indexed pair) with the page's other fragments' lookups, in one query."""
    if not looked_up:
        return {"show": False}
    follow_id, frequency = looked_up
    return {
        "show": True,
        "page": {"pk": page_id},
        "is_topic": is_topic,
        "follow": Follow(pk=follow_id, user=request.user, frequency=frequency) if follow_id is not None else None,
        "next": request.get_full_path(),
    }
