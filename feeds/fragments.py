"""The Follow / Unfollow button on topic and answer pages, as a personal fragment (see ``pagecache``)."""

from django.db import connection

from qa_site.knowledge import pagecache
from subscriptions import access

from .models import Follow


def _follow_vary(request, context):
    if not context["show"]:
        return ()
    follow = context["follow"]
    followed = (follow.pk, follow.frequency) if follow else None
    return (context["page"]["pk"], context["is_topic"], followed, context["next"])


@pagecache.fragment("follow", "feeds/alerts/includes/follow_button.html", vary=_follow_vary)
def follow(request, *, page_id, is_topic):
    """For subscribers: their follow of the page (a topic, or an answer), and the form to change it."""
    user = request.user
    if not access.has_subscriber_access(user):
        return {"show": False}
    # On every view of a cached page: one row by an indexed pair, without the ORM's overhead.
    column = "topic_id" if is_topic else "question_page_id"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, frequency FROM {Follow._meta.db_table} WHERE user_id = %s AND {column} = %s LIMIT 1",
            [user.pk, page_id],
        )
        row = cursor.fetchone()
    return {
        "show": True,
        "page": {"pk": page_id},
        "is_topic": is_topic,
        "follow": Follow(pk=row[0], user=user, frequency=row[1]) if row else None,
        "next": request.get_full_path(),
    }
