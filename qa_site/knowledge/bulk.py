"""Create many published question pages at once (imports, benchmark data).

Publishing through ``question_publish`` saves one page at a time: treebeard finds the parent's last child,
Wagtail checks the slug, writes a revision, publishes it and sends its signals — tens of queries a page.
For an import of 100,000 answers this module writes the rows itself, a batch at a time:

- **tree paths** — each batch locks its topics' rows, reads the children added since it last looked
  (one query per topic, on the ``path`` index) and numbers the new pages after the last one, exactly as
  treebeard's ``add_child`` would (``MP_Node._get_path`` / ``_inc_path``: four base-36 characters a
  level); the topics' ``numchild`` goes up by the number added, in the same transaction;
- **rows** — ``wagtailcore_page`` rows (their content type says they are question pages), then, with the ids
  read back by path, the ``knowledge_questionpage`` rows keyed by ``page_ptr_id``: one ``executemany`` each,
  since Django's ``bulk_create`` refuses multi-table-inherited models (and model instances cost more to
  build than the rows take to insert); columns not set here get their fields' defaults;
- **what publishing sets** — live, published dates, ``url_path``, a slug unique among the topic's
  children, the topic's locale, ``draft_title``.

Bulk pages have no revision (the first edit in the admin makes one) and no ``Question`` record: they were
not asked through this service, so they stay out of SLA figures, scorecards and fee statements. Wagtail's
per-page signals do not fire; ``signals.pages_bulk_created`` is sent with each batch's ids inside its transaction
(so the site's search engine records their indexing in the outbox with them), and after each batch commits the
pages are added to Wagtail's own search index (the admin's page search) in one call.
"""

import datetime as dt
import logging
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify
from wagtail.models import Page
from wagtail.search.backends import get_search_backends

from subscriptions.access import Visibility

from . import generation
from .attribution import web_url
from .models import QuestionPage, TopicPage
from .signals import pages_bulk_created

logger = logging.getLogger(__name__)

SLUG_MAX_LENGTH = 80  # of the part taken from the title; Wagtail's own limit is 255


@dataclass
class BulkQuestion:
    """One published question and answer to create under ``topic``.

    ``answer`` is Markdown, like answers written here; safe HTML (already cleaned, e.g. with nh3) passes
    through Markdown unchanged. ``published_at`` defaults to now; ``asked_on`` to its date.
    """

    topic: TopicPage
    title: str
    question_text: str
    answer: str
    visibility: str = Visibility.PUBLIC
    network: object = None
    expert: object = None
    published_at: dt.datetime | None = None
    asked_on: dt.date | None = None
    slug_hint: str | None = None
    # Where an imported answer comes from, for the credit its licence requires (see ``attribution.py``).
    source_name: str = ""
    source_url: str = ""
    source_authors: list = field(default_factory=list)  # [{"name": …, "url": …, "role": "question"|"answer"}]
    source_licence: str = ""
    source_licence_url: str = ""

    def check(self):
        """Raise ValueError when the item cannot become a page."""
        if not self.title or not self.title.strip():
            raise ValueError("A title is required.")
        if len(self.title) > 255:
            raise ValueError("The title is longer than 255 characters.")
        if not (self.question_text or "").strip() or not (self.answer or "").strip():
            raise ValueError("Both the question and the answer are required.")
        if self.visibility not in (Visibility.PUBLIC, Visibility.NETWORK):
            raise ValueError(f"Visibility must be public or network, not {self.visibility!r}.")
        if self.visibility == Visibility.NETWORK and self.network is None:
            raise ValueError("A network-only answer needs its network.")
        if self.published_at is not None and timezone.is_naive(self.published_at):
            raise ValueError("published_at must be timezone-aware.")
        for name, limit in (("source_url", 500), ("source_licence_url", 300)):
            if getattr(self, name) and not web_url(getattr(self, name)):
                raise ValueError(f"{name} must be an http or https address.")
            if len(getattr(self, name)) > limit:
                raise ValueError(f"{name} is longer than {limit} characters.")

    def source_fields(self):
        """The page's ``source_*`` columns."""
        return {
            "source_name": self.source_name.strip()[:200],
            "source_url": self.source_url.strip(),
            "source_authors": list(self.source_authors),
            "source_licence": self.source_licence.strip()[:100],
            "source_licence_url": self.source_licence_url.strip(),
        }


class _Siblings:
    """What one call knows of a topic's children: the last path seen and the slugs taken."""

    def __init__(self):
        self.last_path = None
        self.slugs = set()
        self.next_suffix = {}  # base slug → the suffix to try next, so many pages of one title stay cheap

    def refresh(self, topic_path, depth):
        """Read the children added since the last look (all of them, the first time)."""
        # A range on the unique path index (as treebeard's get_children), from the last child seen: a prefix match
        # would read every child again on each batch.
        last_possible = topic_path + Page.alphabet[-1] * Page.steplen
        children = Page.objects.filter(path__gt=self.last_path or topic_path, path__lte=last_possible, depth=depth + 1)
        for path, slug in children.order_by("path").values_list("path", "slug").iterator(chunk_size=5000):
            self.last_path = path
            self.slugs.add(slug)

    def next_path(self, topic_path, depth):
        if self.last_path is None:
            self.last_path = Page._get_path(topic_path, depth + 1, 1)
        else:
            position = Page._str2int(self.last_path[-Page.steplen :]) + 1
            if position >= len(Page.alphabet) ** Page.steplen:
                raise ValueError(f"The topic at {topic_path} has no room for more pages in the tree.")
            self.last_path = Page._get_path(topic_path, depth + 1, position)
        return self.last_path

    def unique_slug(self, base):
        suffix = self.next_suffix.get(base, 1)
        slug = base if suffix == 1 else f"{base}-{suffix}"
        while slug in self.slugs:
            suffix += 1
            slug = f"{base}-{suffix}"
        self.next_suffix[base] = suffix + 1
        self.slugs.add(slug)
        return slug


def _base_slug(item):
    base = slugify(item.slug_hint or item.title, allow_unicode=True)[:SLUG_MAX_LENGTH].strip("-")
    if len(base) == SLUG_MAX_LENGTH and "-" in base:
        base = base.rsplit("-", 1)[0]  # end on a whole word
    return base or "question"


def bulk_create_question_pages(
    items: Iterable[BulkQuestion],
    *,
    batch_size: int = 1000,
    progress: Callable[[int], object] | None = None,
    on_batch: Callable[[list[BulkQuestion], list[int]], object] | None = None,
) -> list[int]:
    """Create live question pages for ``items``, ``batch_size`` to a transaction; return their ids in order.

    ``on_batch(items, page_ids)``, if given, runs inside each batch's transaction, for writes that must
    commit or roll back with the pages (an import's provenance). ``progress``, if given, is called after each
    batch with the number of pages it created (``tqdm.update`` fits). Items are checked first
    (``BulkQuestion.check``): a bad one raises ValueError before anything is written for its batch.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1.")
    content_type = ContentType.objects.get_for_model(QuestionPage)
    siblings = defaultdict(_Siblings)
    created = []
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) >= batch_size:
            created += _create_batch(batch, content_type, siblings, on_batch)
            if progress:
                progress(len(batch))
            batch = []
    if batch:
        created += _create_batch(batch, content_type, siblings, on_batch)
        if progress:
            progress(len(batch))
    return created


def _create_batch(items, content_type, siblings, on_batch):
    for item in items:
        item.check()
    now = timezone.now()
    with transaction.atomic():
        topic_ids = sorted({item.topic.pk for item in items})
        # Lock the topics while their children are numbered (a no-op on SQLite, whose writers queue anyway).
        topics = {
            row["pk"]: row
            for row in Page.objects.select_for_update()
            .filter(pk__in=topic_ids)
            .order_by("pk")
            .values("pk", "path", "depth", "url_path", "locale_id")
        }
        missing = set(topic_ids) - set(topics)
        if missing:
            raise ValueError(f"No topic page with id {', '.join(map(str, sorted(missing)))}.")
        for topic_id in topic_ids:
            siblings[topic_id].refresh(topics[topic_id]["path"], topics[topic_id]["depth"])

        pages, rows, added = [], [], defaultdict(int)
        for item in items:
            topic = topics[item.topic.pk]
            known = siblings[topic["pk"]]
            slug = known.unique_slug(_base_slug(item))
            published_at = item.published_at or now
            title = item.title.strip()
            pages.append(
                {
                    "path": known.next_path(topic["path"], topic["depth"]),
                    "depth": topic["depth"] + 1,
                    "numchild": 0,
                    "translation_key": uuid.uuid4(),
                    "locale_id": topic["locale_id"],
                    "live": True,
                    "has_unpublished_changes": False,
                    "first_published_at": published_at,
                    "last_published_at": published_at,
                    "title": title,
                    "draft_title": title,
                    "slug": slug,
                    "content_type_id": content_type.pk,
                    "url_path": f"{topic['url_path']}{slug}/",
                }
            )
            published_on = timezone.localdate(published_at)
            rows.append(
                {
                    "question_id": None,
                    "topic_id": topic["pk"],
                    "question_text": item.question_text.strip(),
                    "answer": item.answer.strip(),
                    "expert_id": item.expert.pk if item.expert else None,
                    "visibility": item.visibility,
                    "network_id": item.network.pk if item.visibility == Visibility.NETWORK else None,
                    "asked_on": item.asked_on or published_on,
                    "checked_on": published_on,
                    "listed": True,
                    "published_at": published_at,
                    **item.source_fields(),
                }
            )
            added[topic["pk"]] += 1
        _insert_rows(Page, pages)
        ids = dict(Page.objects.filter(path__in=[page["path"] for page in pages]).values_list("path", "pk"))
        page_ids = [ids[page["path"]] for page in pages]
        for row, page_id in zip(rows, page_ids, strict=True):
            row["page_ptr_id"] = page_id
        _insert_rows(QuestionPage, rows)
        for topic_id, count in added.items():
            Page.objects.filter(pk=topic_id).update(numchild=F("numchild") + count)
        if on_batch:
            on_batch(items, page_ids)
        transaction.on_commit(lambda: _add_to_wagtail_search(page_ids))
        # Sent inside the transaction, so what receivers record (the search index's tasks, in the outbox) commits
        # with the pages.
        pages_bulk_created.send(sender=QuestionPage, page_ids=page_ids)
    return page_ids


def update_sources(updates: dict[int, dict]) -> int:
    """Fill in where pages created in bulk came from: ``{page id: {"source_name": …, …, "answer": …}}``.

    For imports run before attribution was recorded. The ``source_*`` fields are set on every page named; ``answer``
    (the text cleaned again, e.g. with notes for dropped images) only on pages nobody has edited since (no revision:
    bulk pages have none until their first edit in the admin). Returns the number of pages changed; cached pages and
    feeds are renewed with the change.
    """
    allowed = {"source_name", "source_url", "source_authors", "source_licence", "source_licence_url", "answer"}
    changed = 0
    with transaction.atomic():
        edited = set(
            QuestionPage.objects.filter(pk__in=list(updates), latest_revision__isnull=False).values_list(
                "pk", flat=True
            )
        )
        for page_id, values in updates.items():
            values = {name: value for name, value in values.items() if name in allowed}
            if page_id in edited:
                values.pop("answer", None)
            changed += QuestionPage.objects.filter(pk=page_id).update(**values)
        if changed:
            generation.bump()
    return changed


def _add_to_wagtail_search(page_ids):
    """Wagtail's own search index (the admin's page search), which saving each page would have updated."""
    pages = list(QuestionPage.get_indexed_objects().filter(pk__in=page_ids))
    for backend in get_search_backends(with_auto_update=True):
        try:
            backend.add_bulk(QuestionPage, pages)
        except Exception:  # as when Wagtail indexes one page: the pages stand, the index can be rebuilt
            logger.exception("Could not add %d bulk-created pages to Wagtail's search index", len(pages))


def _insert_rows(model, rows):
    """INSERT ``rows`` ({attname: value}) into ``model``'s own table; other columns get their field defaults.

    Plain SQL through Django's cursor: ``bulk_create`` refuses multi-table-inherited models, and building
    model instances would cost more than the insert itself.
    """
    given = rows[0].keys()
    fields = [f for f in model._meta.local_concrete_fields if f.attname in given or not f.primary_key]
    made = [f for f in fields if f.attname not in given and f.has_default() and callable(f.default)]
    fixed = {f.attname: f.get_default() for f in fields if f.attname not in given and f not in made}
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        quote(model._meta.db_table),
        ", ".join(quote(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    values = []
    for row in rows:
        row = {**fixed, **{f.attname: f.get_default() for f in made}, **row}
        values.append([_db_value(f, row[f.attname]) for f in fields])
    with connection.cursor() as cursor:
        cursor.executemany(sql, values)


def _db_value(field, value):
    # Strings, numbers, booleans and None go to the database as they are; dates, times and UUIDs are converted
    # as Django would.
    if value is None or isinstance(value, str | int | float):
        return value
    return field.get_db_prep_save(value, connection)
