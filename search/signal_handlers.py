"""Keep the search index in step with the knowledge base, after each change commits.

Handlers only name what to re-read. Answer pages named during one transaction are indexed by one job
(``jobs.index_pages``, per thousand) enqueued when it commits, which indexes what is live and removes what is
not; a published or renamed topic enqueues ``jobs.index_topic`` for the answers that carry its title.
"""

from functools import partial

import django_rq
from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save
from wagtail.signals import page_published, page_slug_changed, page_unpublished, post_page_move

from qa_site.knowledge.models import QuestionPage, TopicPage
from qa_site.knowledge.signals import pages_bulk_created

from . import jobs

_PENDING = "_qa_search_pending_pages"


def _pending():
    pending = getattr(connection, _PENDING, None)
    if pending is None:
        pending = set()
        setattr(connection, _PENDING, pending)
    return pending


def _flush():
    """Enqueue one indexing job for the pages named so far (an earlier commit may already have taken them)."""
    pending = _pending()
    if pending:
        page_ids = sorted(pending)
        pending.clear()
        for start in range(0, len(page_ids), jobs.BATCH_SIZE):
            django_rq.enqueue(jobs.index_pages, page_ids[start : start + jobs.BATCH_SIZE])


def schedule_index(page_ids):
    """Re-read these pages into the index once the current transaction commits (now, outside one)."""
    _pending().update(page_ids)
    transaction.on_commit(_flush)


def _question_page_changed(sender, instance, raw=False, **kwargs):
    # Published, unpublished, moved, deleted, or saved (its visibility or topic may have changed).
    if not raw:
        schedule_index([instance.pk])


def _topic_published(sender, instance, **kwargs):
    # Answers carry their topic's title (a facet label): the job re-reads them if it changed.
    transaction.on_commit(partial(django_rq.enqueue, jobs.index_topic, instance.pk))


def _topic_slug_changed(sender, instance, **kwargs):
    # ... and its address.
    transaction.on_commit(partial(django_rq.enqueue, jobs.index_topic, instance.pk, moved=True))


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
