"""Keep the search index in step with the knowledge base: each change records an indexing task in the outbox.

Handlers only name what to re-read (``tasks.index_pages``, per thousand pages), in the transaction of the change;
the task runs once it commits, indexes what is live and removes what is not. One page heard about several times
in one transaction (saved, published) is indexed once. A published or renamed topic records ``tasks.index_topic``
for the answers that carry its title.
"""

from django.db.models.signals import post_delete, post_save
from wagtail.signals import page_published, page_slug_changed, page_unpublished, post_page_move

from qa_site import outbox
from qa_site.knowledge.models import QuestionPage, TopicPage
from qa_site.knowledge.signals import pages_bulk_created

from . import tasks


def schedule_index(page_ids):
    """Re-read these pages into the index once the current transaction commits (now, outside one)."""
    page_ids = sorted(set(page_ids))
    for start in range(0, len(page_ids), tasks.BATCH_SIZE):
        outbox.enqueue_once(tasks.index_pages, page_ids[start : start + tasks.BATCH_SIZE])


def _question_page_changed(sender, instance, raw=False, **kwargs):
    # Published, unpublished, moved, deleted, or saved (its visibility or topic may have changed).
    if not raw:
        schedule_index([instance.pk])


def _topic_published(sender, instance, **kwargs):
    # Answers carry their topic's title (a facet label): the task re-reads them if it changed.
    outbox.enqueue_once(tasks.index_topic, instance.pk)


def _topic_slug_changed(sender, instance, **kwargs):
    # ... and its address.
    outbox.enqueue_once(tasks.index_topic, instance.pk, moved=True)


def _pages_bulk_created(sender, page_ids, **kwargs):
    schedule_index(page_ids)


def register():
    answer_signals = {
        "published": page_published,
        "unpublished": page_unpublished,
        "moved": post_page_move,
        "saved": post_save,
        "deleted": post_delete,
    }
    for name, signal in answer_signals.items():
        signal.connect(_question_page_changed, sender=QuestionPage, dispatch_uid=f"qa-search-answer-{name}")
    page_published.connect(_topic_published, sender=TopicPage, dispatch_uid="qa-search-topic-published")
    page_slug_changed.connect(_topic_slug_changed, sender=TopicPage, dispatch_uid="qa-search-topic-slug")
    pages_bulk_created.connect(_pages_bulk_created, dispatch_uid="qa-search-bulk")
