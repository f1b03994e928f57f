"""The contract every search engine keeps, so views, jobs and benchmarks never depend on which one runs.

An engine indexes *published question pages* as flat documents (``SearchDocument``) and answers
ranked, access-filtered queries with highlights and facet counts. Access filtering is expressed as an
``Audience`` computed by the caller from ``subscriptions.access`` — engines never decide who may see what.
"""

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Audience:
    """What a reader may find: everything (coordinators), or public answers plus the network-only answers
    of the listed networks and, for an expert on the panel (``expert_id``), the network-only answers they
    wrote — as ``subscriptions.access.published_filter`` says."""

    everything: bool = False
    network_ids: frozenset = frozenset()
    expert_id: int | None = None


@dataclass(frozen=True)
class SearchDocument:
    page_id: int
    title: str
    question: str  # the published question text (plain text)
    answer: str  # the published answer (plain text, HTML stripped)
    url_path: str  # the page's URL relative to the site root
    visibility: str  # "public" or "network"
    network_id: int | None
    topic_id: int | None
    topic_title: str
    expert_id: int | None  # user id of the answering expert
    expert_name: str
    published_at: dt.datetime


@dataclass(frozen=True)
class Filters:
    topic_id: int | None = None
    expert_id: int | None = None
    year: int | None = None


@dataclass
class Hit:
    page_id: int
    score: float
    title_html: str  # escaped title with matches wrapped in <mark>
    snippet_html: str  # escaped excerpt of question/answer with matches wrapped in <mark>


@dataclass
class FacetValue:
    value: int  # topic id, expert user id, or year
    label: str
    count: int


@dataclass
class Results:
    hits: list[Hit]
    total: int
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)  # keys "topic", "expert", "year"
    relaxed: bool = False  # fewer than WIDEN_BELOW answers had every word, so these have any of them, ranked
    with_every_word: int | None = None  # when relaxed: how many answers had every word


# A search of several words whose every word fewer answers than this have is widened to answers with some of them,
# ranked (those with more of the words and rarer ones first), rather than showing only one or two: in every engine.
WIDEN_BELOW = 3
WIDEN_MORE = 20  # the database engine: answers like the query listed after those with every word


class IndexBehind(Exception):
    """An engine took a write only in part (Elasticsearch was unavailable; the database engine has it): the task
    that wrote it should run again later. Raised after every part that could be written was written."""


class SearchBackend:
    name = "base"

    def index(self, documents: list[SearchDocument]) -> None:
        """Add or replace these documents (idempotent)."""
        raise NotImplementedError

    def remove(self, page_ids: list[int]) -> None:
        raise NotImplementedError

    def search(
        self,
        query: str,
        *,
        audience: Audience,
        filters: Filters = Filters(),
        offset: int = 0,
        limit: int = 10,
        facets: bool = True,
    ) -> Results:
        raise NotImplementedError

    def similar(
        self, text: str, *, audience: Audience, limit: int = 5, exclude_page_id: int | None = None
    ) -> list[Hit]:
        """Answered questions like this text (used while an adviser types a question, and for related questions)."""
        raise NotImplementedError

    def rebuild(self, documents) -> int:
        """Replace the whole index with these documents (an iterable); returns how many were indexed."""
        raise NotImplementedError

    def health(self) -> dict:
        """For /readyz: {"ok": can searches be answered, "engine": name, …} — quickly, and never raising."""
        return {"ok": True, "engine": self.name}
