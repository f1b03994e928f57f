"""The Elasticsearch engine, and the engine ``SEARCH_BACKEND`` names when ``ELASTICSEARCH_URL`` is set.

Reads and writes go through an alias (``<SEARCH_INDEX_PREFIX>-answers``) that points at one concrete index
(``<alias>-<timestamp>``). ``rebuild`` fills a new concrete index while searches keep reading the old one,
then moves the alias in one atomic ``update_aliases`` call and deletes the old index. While a rebuild runs,
the new index also carries the alias ``<alias>-next``, and ``index``/``remove`` write to it as well as to the
live index, so nothing published during the rebuild is lost; the rebuild adds its documents with
``op_type=create``, so it never overwrites a newer version written meanwhile.

Sector synonyms (``SECTOR_SYNONYMS``) are applied twice over: by a ``synonym_graph`` filter in the search
analyzer (how Elasticsearch does it) and by expanding the query itself (``query_variants``), which also
works on servers that ignore synonym filters, such as the in-memory OpenSearch-compatible server the tests
run against.
"""

import html
import logging

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from elasticsearch import ApiError, ConnectionTimeout, Elasticsearch, NotFoundError, helpers
from elasticsearch import ConnectionError as ClusterConnectionError
from elasticsearch.dsl import Date, Document, Index, Integer, Keyword, Long, Q, Search, Text, analyzer, token_filter

from .. import more_like_this
from ..text import SECTOR_SYNONYMS, STOP_WORDS, normalise
from ..transport import PlainJSONNode
from .base import WIDEN_BELOW, Audience, FacetValue, Filters, Hit, IndexBehind, Results, SearchBackend, SearchDocument
from .database import DatabaseBackend

logger = logging.getLogger("search")

SNIPPET_LENGTH = 220
MAX_RESULT_WINDOW = 10_000  # Elasticsearch's default index.max_result_window
BULK_TIMEOUT = 120  # seconds, for writes and creating indexes; searches use ELASTICSEARCH_TIMEOUT
NO_FILTERS = Filters()

sector_synonyms = token_filter(
    "sector_synonyms", "synonym_graph", synonyms=[", ".join(group) for group in SECTOR_SYNONYMS], lenient=True
)
# The database engine's stop words, so that both engines ignore the same words.
english_stop = token_filter("english_stop", "stop", stopwords=sorted(STOP_WORDS))
english_stemmer = token_filter("english_stemmer", "stemmer", language="english")
# Indexed text: lower case, English stop words dropped, English stemming.
answers_text = analyzer("answers_text", tokenizer="standard", filter=["lowercase", english_stop, english_stemmer])
# Queries: the same, with sector synonyms expanded before stop words and stemming.
answers_query = analyzer(
    "answers_query", tokenizer="standard", filter=["lowercase", sector_synonyms, english_stop, english_stemmer]
)


def _text(**options):
    return Text(analyzer=answers_text, search_analyzer=answers_query, **options)


class AnswerDocument(Document):
    """A published question page as indexed: the fields of ``SearchDocument`` plus its year."""

    title = _text(copy_to="words")
    question = _text(copy_to="words")
    answer = _text(copy_to="words")
    # The three together, for "more like this": a word counts once however many fields have it, as in the database
    # engine (per field, one word in a title and an answer would count as two). Indexes made before it have none
    # (similar answers find nothing until ``manage.py search_rebuild``).
    words = _text()
    url_path = Keyword(index=False)
    visibility = Keyword()
    network_id = Long()
    topic_id = Long()
    topic_title = Keyword()
    expert_id = Long()
    expert_name = Keyword()
    published_at = Date()
    year = Integer()

    @classmethod
    def source(cls, doc: SearchDocument):
        return cls(
            title=doc.title,
            question=doc.question,
            answer=doc.answer,
            url_path=doc.url_path,
            visibility=doc.visibility,
            network_id=doc.network_id,
            topic_id=doc.topic_id,
            topic_title=doc.topic_title,
            expert_id=doc.expert_id,
            expert_name=doc.expert_name,
            published_at=doc.published_at,
            year=doc.published_at.year,
        ).to_dict(skip_empty=False)


TEXT_FIELDS = ["title^3", "question^2", "answer"]  # a match in the title counts most, then the question


def index_definition(name, **aliases):
    """The concrete index ``name``: one shard (the knowledge base is small), mappings and analysis."""
    index = Index(name)
    index.settings(number_of_shards=1, auto_expand_replicas="0-1")
    index.mapping(AnswerDocument._doc_type.mapping)
    if aliases:
        index.aliases(**aliases)
    return index


def query_variants(text):
    """``text`` with each sector term in it replaced by each of its other forms (``VAT`` → ``value added tax``)."""
    padded = f" {normalise(text)} "
    variants = []
    for group in SECTOR_SYNONYMS:
        for form in group:
            if f" {form} " in padded:
                variants += [padded.replace(f" {form} ", f" {other} ").strip() for other in group if other != form]
    return list(dict.fromkeys(variants))


def audience_filter(audience: Audience):
    """Public answers, the network-only answers of the audience's networks and those its expert wrote;
    ``None`` for everything."""
    if audience.everything:
        return None
    visible = [Q("term", visibility="public")]
    network_only = Q("term", visibility="network")
    if audience.network_ids:
        visible.append(Q("bool", filter=[network_only, Q("terms", network_id=sorted(audience.network_ids))]))
    if audience.expert_id:
        visible.append(Q("bool", filter=[network_only, Q("term", expert_id=audience.expert_id)]))
    return Q("bool", should=visible, minimum_should_match=1)


def _excerpt(text, length=SNIPPET_LENGTH):
    text = " ".join(text.split())
    if len(text) <= length:
        return html.escape(text)
    return html.escape(text[:length].rsplit(" ", 1)[0]) + "…"


def _facet_values(buckets, *, labelled):
    values = []
    for bucket in buckets:
        if labelled:
            labels = bucket.label.buckets
            label = labels[0].key if labels else ""
        else:
            label = str(bucket.key)
        values.append(FacetValue(value=int(bucket.key), label=label, count=bucket.doc_count))
    return values


class ElasticsearchBackend(SearchBackend):
    name = "elasticsearch"

    def __init__(self, *, url=None, prefix=None, timeout=None):
        self.url = url or settings.ELASTICSEARCH_URL
        self.alias = f"{prefix or settings.SEARCH_INDEX_PREFIX}-answers"
        self.next_alias = f"{self.alias}-next"
        self.timeout = timeout or settings.ELASTICSEARCH_TIMEOUT
        self._client = None

    @property
    def client(self):
        if self._client is None:
            self._client = Elasticsearch(
                self.url, node_class=PlainJSONNode, request_timeout=self.timeout, max_retries=1, retry_on_timeout=False
            )
        return self._client

    @property
    def admin_client(self):
        """The client with a longer timeout, for writes and index management (searches must answer quickly)."""
        return self.client.options(request_timeout=BULK_TIMEOUT)

    # --- Reading

    def search(self, query, *, audience, filters=NO_FILTERS, offset=0, limit=10, facets=True):
        """Answers with every word of ``query`` (in any of the fields); if fewer than ``WIDEN_BELOW`` have them all,
        answers with any of them, ranked (``Results.relaxed``) — as the database engine does."""
        terms = normalise(query)
        if not terms:
            return Results(hits=[], total=0, facets={"topic": [], "expert": [], "year": []} if facets else {})
        results = self._search(terms, "and", audience, filters, offset, limit, facets)
        if results.total < WIDEN_BELOW and len(terms.split()) > 1:
            # The answers with every word first, then those with any of them, ranked.
            offset = max(0, offset)
            every = results.hits
            if offset or limit < results.total:
                every = self._search(terms, "and", audience, filters, 0, WIDEN_BELOW, False).hits
            first = every[offset : offset + limit]
            seen = [str(hit.page_id) for hit in every]
            results = self._search(
                terms, "or", audience, filters, max(0, offset - len(every)), limit - len(first), facets, leave_out=seen
            )
            results.hits = first + results.hits
            results.total += len(every)
            results.relaxed = results.total > len(every)
            results.with_every_word = len(every)
        return results

    def _search(self, terms, operator, audience, filters, offset, limit, facets, leave_out=()):
        offset = max(0, offset)
        limit = max(0, min(limit, MAX_RESULT_WINDOW - offset))
        if not limit:  # past the end: no hits, but still the total and facets
            offset = 0
        text_query = Q(
            "bool",
            should=[
                Q("multi_match", query=text, fields=TEXT_FIELDS, type="cross_fields", operator=operator)
                for text in [terms, *query_variants(terms)]
            ],
            minimum_should_match=1,
        )
        s = Search(using=self.client, index=self.alias).query(text_query).extra(track_total_hits=True)
        visible = audience_filter(audience)
        if visible is not None:
            s = s.filter(visible)
        for field in ("topic_id", "expert_id", "year"):
            value = getattr(filters, field)
            if value is not None:
                s = s.filter("term", **{field: value})
        if leave_out:  # left out of the hits and their total, not of the facets
            s = s.post_filter("bool", must_not=[Q("ids", values=list(leave_out))])
        s = s.highlight_options(encoder="html", pre_tags=["<mark>"], post_tags=["</mark>"])
        s = s.highlight("title", number_of_fragments=0)
        s = s.highlight("question", "answer", fragment_size=SNIPPET_LENGTH, number_of_fragments=1)
        s = s.source(["title", "answer"])
        if facets:
            s.aggs.bucket("topic", "terms", field="topic_id", size=100).bucket(
                "label", "terms", field="topic_title", size=1
            )
            s.aggs.bucket("expert", "terms", field="expert_id", size=100).bucket(
                "label", "terms", field="expert_name", size=1
            )
            s.aggs.bucket("year", "terms", field="year", size=100, order={"_key": "desc"})
        response = s[offset : offset + limit].execute()
        hits = [self._hit(hit) for hit in response]
        found = {}
        if facets:
            aggs = response.aggregations
            found = {
                "topic": _facet_values(aggs.topic.buckets, labelled=True),
                "expert": _facet_values(aggs.expert.buckets, labelled=True),
                "year": _facet_values(aggs.year.buckets, labelled=False),
            }
            for key in ("topic", "expert"):
                found[key].sort(key=lambda value: (-value.count, value.label.casefold()))
        return Results(hits=hits, total=response.hits.total.value, facets=found)

    @staticmethod
    def _hit(hit):
        highlight = getattr(hit.meta, "highlight", {})
        title = highlight["title"][0] if "title" in highlight else html.escape(hit.title)
        # The answer's matching passage, else the question's, else the answer's start (as the database engine).
        fragments = [highlight[field][0] for field in ("answer", "question") if field in highlight]
        snippet = fragments[0] if fragments else _excerpt(hit.answer)
        return Hit(page_id=int(hit.meta.id), score=hit.meta.score or 0.0, title_html=title, snippet_html=snippet)

    def similar(self, text, *, audience, limit=5, exclude_page_id=None):
        terms = normalise(text)
        if not terms or limit <= 0:
            return []
        like = Q(
            "more_like_this",
            fields=["words"],
            like=[terms, *query_variants(terms)],
            min_term_freq=1,
            min_doc_freq=1,
            max_query_terms=more_like_this.MAX_TERMS,
            minimum_should_match=more_like_this.ELASTIC_SHOULD_MATCH,
        )
        s = Search(using=self.client, index=self.alias).query(like).source(["title", "question"])
        visible = audience_filter(audience)
        if visible is not None:
            s = s.filter(visible)
        if exclude_page_id is not None:
            s = s.exclude("ids", values=[str(exclude_page_id)])
        return [
            Hit(
                page_id=int(hit.meta.id),
                score=hit.meta.score or 0.0,
                title_html=html.escape(hit.title),
                snippet_html=_excerpt(hit.question, 160),
            )
            for hit in s[:limit].execute()
        ]

    # --- Writing

    def _indices(self):
        """Concrete indexes of this alias's family, each with the aliases it carries."""
        found = self.client.indices.get_alias(index=f"{self.alias}-*")
        return {name: set(info.get("aliases", {})) for name, info in found.items()}

    def _new_index_name(self):
        return f"{self.alias}-{timezone.now().strftime('%Y%m%d%H%M%S%f')}"

    def _write_targets(self):
        """The live index and, during a rebuild, the one being filled. Creates the live index if none exists
        (a first publish before any ``search_reindex``)."""
        indices = self._indices()
        live = [name for name, aliases in indices.items() if self.alias in aliases]
        if not live:
            name = self._new_index_name()
            index_definition(name, **{self.alias: {}}).create(using=self.admin_client)
            live = [name]
        return live + [name for name, aliases in indices.items() if self.next_alias in aliases]

    def index(self, documents):
        documents = list(documents)
        if not documents:
            return
        actions = [
            {"_op_type": "index", "_index": target, "_id": doc.page_id, "_source": AnswerDocument.source(doc)}
            for target in self._write_targets()
            for doc in documents
        ]
        helpers.bulk(self.admin_client, actions, refresh="wait_for")

    def remove(self, page_ids):
        page_ids = list(page_ids)
        if not page_ids:
            return
        actions = [
            {"_op_type": "delete", "_index": target, "_id": page_id}
            for target in self._write_targets()
            for page_id in page_ids
        ]
        _, errors = helpers.bulk(self.admin_client, actions, refresh="wait_for", raise_on_error=False)
        failed = [item for item in errors if item.get("delete", {}).get("status") != 404]
        if failed:
            raise helpers.BulkIndexError(f"{len(failed)} document(s) failed to delete.", failed)

    def rebuild(self, documents):
        """Fill a new index with ``documents``, then point the alias at it and delete the old one.

        Searches read the old index until the alias moves. Returns how many documents were indexed.
        """
        client = self.admin_client
        before = self._indices()
        name = self._new_index_name()
        index_definition(name, **{self.next_alias: {}}).create(using=client)
        try:
            actions = (
                {"_op_type": "create", "_index": name, "_id": doc.page_id, "_source": AnswerDocument.source(doc)}
                for doc in documents
            )
            count = 0
            for ok, item in helpers.streaming_bulk(client, actions, chunk_size=500, raise_on_error=False):
                status = item.get("create", {}).get("status")
                if not ok and status != 409:  # 409: written meanwhile by index(), which is newer
                    raise helpers.BulkIndexError("A document failed to index.", [item])
                count += 1
            client.indices.refresh(index=name)
            live = [old for old, aliases in before.items() if self.alias in aliases]
            client.indices.update_aliases(
                actions=[
                    *({"remove": {"index": old, "alias": self.alias}} for old in live),
                    {"remove": {"index": name, "alias": self.next_alias}},
                    {"add": {"index": name, "alias": self.alias}},
                ]
            )
        except BaseException:
            client.indices.delete(index=name, ignore_unavailable=True)
            raise
        if before:  # the old index, and any left behind by an interrupted rebuild
            client.indices.delete(index=",".join(before), ignore_unavailable=True)
        return count


def is_unavailable(error):
    """Does ``error`` mean the cluster is down, unreachable or overloaded (rather than a bad request)?"""
    if isinstance(error, ClusterConnectionError | ConnectionTimeout):
        return True
    return isinstance(error, ApiError) and (error.meta.status >= 500 or error.meta.status == 429)


class FallbackElasticsearchBackend(SearchBackend):
    """Elasticsearch, answering from the database engine whenever the cluster is unavailable.

    The database engine is kept up to date as well: ``index`` and ``remove`` write to the database first,
    then to Elasticsearch. If Elasticsearch is unavailable the write to it is logged and ``IndexBehind`` is
    raised, so the indexing task (in the outbox) is tried again later — 30 s, 1 min, 2 min … for about four
    hours; after a longer outage ``manage.py search_reindex`` rebuilds the Elasticsearch index from the
    database's pages. After a failure, Elasticsearch is left alone for
    ``RETRY_AFTER`` seconds (a flag in the cache), so a dead cluster costs one timeout, not one per request.
    Errors that are not about availability (a malformed query, a mapping conflict) are raised as usual.
    """

    name = "elasticsearch"
    RETRY_AFTER = 30
    DOWN_KEY = "search:elasticsearch-unavailable"

    def __init__(self, **options):
        self.elastic = ElasticsearchBackend(**options)
        self.database = DatabaseBackend()

    def _down(self):
        return cache.get(self.DOWN_KEY) is not None

    def _failed(self, action, error):
        logger.warning(
            "Elasticsearch at %s is unavailable (%s: %s); %s", self.elastic.url, type(error).__name__, error, action
        )
        cache.set(self.DOWN_KEY, 1, timeout=self.RETRY_AFTER)

    def _read(self, method, *args, **kwargs):
        if not self._down():
            try:
                return getattr(self.elastic, method)(*args, **kwargs)
            except NotFoundError:
                logger.warning(
                    "Elasticsearch has no index %s yet (run manage.py search_reindex); answering from the database",
                    self.elastic.alias,
                )
            except Exception as error:
                if not is_unavailable(error):
                    raise
                self._failed("answering from the database", error)
        return getattr(self.database, method)(*args, **kwargs)

    def _write(self, method, argument):
        getattr(self.database, method)(argument)
        if self._down():
            raise IndexBehind(f"Elasticsearch is unavailable; {method} will be tried again")
        try:
            getattr(self.elastic, method)(argument)
        except Exception as error:
            if not is_unavailable(error):
                raise
            self._failed(f"{method} will be tried again", error)
            raise IndexBehind(f"Elasticsearch is unavailable; {method} will be tried again") from error

    def search(self, query, **kwargs):
        return self._read("search", query, **kwargs)

    def similar(self, text, **kwargs):
        return self._read("similar", text, **kwargs)

    def index(self, documents):
        self._write("index", list(documents))

    def remove(self, page_ids):
        self._write("remove", list(page_ids))

    def rebuild(self, documents):
        """Rebuild the Elasticsearch index (without a fallback: a reindex should fail loudly)."""
        return self.elastic.rebuild(documents)

    def health(self):
        """Searches are answered either way; says whether from the cluster or from the database."""
        try:
            up = bool(self.elastic.client.options(request_timeout=2).ping())
        except Exception:  # an unreachable cluster, whatever the client raises for it
            up = False
        state = "up" if up else "unreachable: searches are answered from the database"
        return {"ok": True, "engine": self.name, "elasticsearch": state}
