"""Bring answered questions in from elsewhere as published pages, once each.

Both importers (Stack Exchange dumps and spreadsheets) turn their input into ``Incoming`` items and call
``items_import``: items already imported from the same source are skipped, the rest become pages with
``bulk_create_question_pages``, and each batch's provenance (``ImportedItem``) commits with its pages.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from qa_site.knowledge.bulk import BulkQuestion, bulk_create_question_pages
from qa_site.knowledge.models import TopicPage
from subscriptions.models import Network

from .models import ImportedItem


class ImportRefused(Exception):
    """The import cannot start (unknown topic or network, bad options); the message is fit to show."""


@dataclass
class Incoming:
    external_id: str
    question: BulkQuestion


@dataclass
class Summary:
    imported: int = 0
    duplicates: int = 0
    without_answer: int = 0
    errors: list = field(default_factory=list)  # (where, problem)
    page_ids: list = field(default_factory=list)

    def lines(self):
        lines = [
            f"Imported: {self.imported}",
            f"Skipped, already imported: {self.duplicates}",
            f"Skipped, no answer: {self.without_answer}",
            f"Errors: {len(self.errors)}",
        ]
        lines += [f"  {where}: {problem}" for where, problem in self.errors[:50]]
        if len(self.errors) > 50:
            lines.append(f"  … and {len(self.errors) - 50} more")
        return lines


def topic_by_slug(slug):
    topic = TopicPage.objects.filter(slug=slug).first()
    if topic is None:
        slugs = ", ".join(TopicPage.objects.order_by("slug").values_list("slug", flat=True)) or "none yet"
        raise ImportRefused(f"There is no topic “{slug}”. Topics: {slugs}.")
    return topic


def network_by_slug(slug):
    network = Network.objects.filter(slug=slug).first()
    if network is None:
        slugs = ", ".join(Network.objects.order_by("slug").values_list("slug", flat=True)) or "none yet"
        raise ImportRefused(f"There is no network “{slug}”. Networks: {slugs}.")
    return network


def imported_ids(source):
    """The external ids already imported from ``source``."""
    return set(ImportedItem.objects.filter(source=source).values_list("external_id", flat=True).iterator(5000))


def pages_without_source(source):
    """{external id: page id} of the items imported from ``source`` whose page does not say where it came from
    (imported before attribution was recorded)."""
    return dict(
        ImportedItem.objects.filter(source=source, page__isnull=False, page__source_url="", page__source_name="")
        .values_list("external_id", "page_id")
        .iterator(5000)
    )


def items_import(
    *,
    source: str,
    items: Iterable[Incoming],
    summary: Summary,
    batch_size: int = 1000,
    progress: Callable[[int], object] | None = None,
) -> Summary:
    """Create a page for each item not yet imported from ``source``; count what was skipped in ``summary``."""
    done = imported_ids(source)

    def fresh():
        for item in items:
            if item.external_id in done:
                summary.duplicates += 1
                if progress:
                    progress(1)
                continue
            done.add(item.external_id)
            yield item

    pending = {}  # id(BulkQuestion) → external id, for the batch being written

    def questions():
        for item in fresh():
            pending[id(item.question)] = item.external_id
            yield item.question

    def record(batch, page_ids):
        ImportedItem.objects.bulk_create(
            [
                ImportedItem(source=source, external_id=pending.pop(id(question)), page_id=page_id)
                for question, page_id in zip(batch, page_ids, strict=True)
            ]
        )

    page_ids = bulk_create_question_pages(questions(), batch_size=batch_size, progress=progress, on_batch=record)
    summary.imported += len(page_ids)
    summary.page_ids += page_ids
    return summary
