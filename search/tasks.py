"""Index updates, as tasks in the outbox. Each takes ids, re-reads the pages, and leaves the index saying what the
pages say now — so a late, repeated or out-of-order delivery is harmless."""

from qa_site.knowledge.models import QuestionPage, TopicPage

from .backends import get_backend
from .backends.base import IndexBehind
from .documents import documents_for
from .models import IndexEntry

BATCH_SIZE = 1000


def index_pages(page_ids):
    """Index the pages that are live, shareable answers; take the others (unpublished, gone) out.

    Both writes are made as far as they can be before an engine that is behind (Elasticsearch away) is reported,
    so the database engine never keeps an unpublished answer while the task waits for its next try.
    """
    page_ids = sorted(set(page_ids))
    documents = documents_for(page_ids)
    backend = get_backend()
    indexed = {doc.page_id for doc in documents}
    gone = [page_id for page_id in page_ids if page_id not in indexed]
    behind = None
    for write, argument in ((backend.index, documents), (backend.remove, gone)):
        if argument:
            try:
                write(argument)
            except IndexBehind as exc:
                behind = exc
    if behind is not None:
        raise behind
    return len(documents)


def index_topic(topic_id, *, moved=False):
    """Re-index a topic's answers, a batch at a time, when what they carry of it changed: its address
    (``moved``: a new slug) or its title (a facet label) — which the database index can tell; a topic that
    was published unchanged costs one query."""
    topic = TopicPage.objects.filter(pk=topic_id).only("title").first()
    if topic is None:
        return 0
    entries = IndexEntry.objects.filter(topic_id=topic_id)
    if not moved and entries.exists() and not entries.exclude(topic_title=topic.title).exists():
        return 0
    ids = list(QuestionPage.objects.live().filter(topic_id=topic_id).order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH_SIZE):
        index_pages(ids[start : start + BATCH_SIZE])
    return len(ids)
