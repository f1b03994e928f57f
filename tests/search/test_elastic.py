"""The Elasticsearch engine: analysis and synonyms, highlights, facets, access, similar questions, reindexing
behind an alias, and falling back to the database engine when the cluster is unreachable.

Runs against osmem-server, an in-memory OpenSearch-compatible server from PyPI (no Elasticsearch can be
installed here); the project's PlainJSONNode makes the official client speak plain JSON to it. Every test
gets its own clone of the server, with a handful of documents.
"""

import datetime as dt
import io
import logging
import socket

import elasticsearch
import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone

from qa_site.outbox import relay
from qa_site.outbox.models import OutboxMessage
from search.backends import get_backend, reset_backend
from search.backends.base import Audience, FacetValue, Filters, IndexBehind, SearchDocument
from search.backends.elastic import ElasticsearchBackend, FallbackElasticsearchBackend, is_unavailable, query_variants
from search.transport import plain_content_type
from tests.factories import make_published_page
from tests.search import similar_cases, synonym_cases

PUBLIC = Audience()
NORTHSHIRE_ID = 7
WESTVALE_ID = 8


def doc(page_id, title, question="", answer="", **fields):
    values = {
        "url_path": f"/topics/charity-law/q-{page_id}/",
        "visibility": "public",
        "network_id": None,
        "topic_id": 1,
        "topic_title": "Charity law",
        "expert_id": 10,
        "expert_name": "Erin Expert",
        "published_at": dt.datetime(2025, 3, 1, 12, tzinfo=dt.UTC),
    }
    values.update(fields)
    return SearchDocument(page_id=page_id, title=title, question=question, answer=answer, **values)


def ids(hits):
    return [hit.page_id for hit in hits]


@pytest.fixture
def engine(osmem_url):
    return ElasticsearchBackend(url=osmem_url, prefix="test", timeout=5)


@pytest.fixture
def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_search_server_that_died_is_started_again_for_the_next_test(osmem_keeper):
    dead = osmem_keeper.get()
    dead.process.kill()
    dead.process.wait(10)
    clone = osmem_keeper.get().clone()  # what the next test's osmem_clone fixture does
    try:
        assert osmem_keeper.server is not dead
        assert ElasticsearchBackend(url=clone.url, prefix="test", timeout=5).client.ping()
    finally:
        clone.close()


def test_similar_finds_the_answers_sharing_enough_distinctive_words_best_first(engine):
    engine.index(similar_cases.documents(doc))
    similar_cases.check(engine, PUBLIC, ids)


def test_compatibility_content_types_become_plain():
    assert plain_content_type("application/vnd.elasticsearch+json; compatible-with=8") == "application/json"
    assert plain_content_type("application/vnd.elasticsearch+x-ndjson; compatible-with=8") == "application/x-ndjson"
    assert plain_content_type("text/plain") == "text/plain"


def test_query_variants_replace_each_sector_term_with_its_other_forms():
    assert query_variants("Registering a CIO") == ["registering a charitable incorporated organisation"]
    assert query_variants("VAT on HMRC forms") == [
        "value added tax on hmrc forms",
        "vat on revenue and customs forms",
    ]
    assert query_variants("advocacy") == []  # "vat" inside a word is not the term


@pytest.mark.parametrize("query", synonym_cases.QUERIES)
def test_sector_synonyms_find_each_other(engine, query):
    engine.index(synonym_cases.documents(doc))
    assert sorted(ids(engine.search(query, audience=PUBLIC).hits)) == synonym_cases.found(query)


def test_english_stemming_and_stop_words(engine):
    engine.index(
        [doc(1, "Volunteers claiming mileage", answer="They can be reimbursed."), doc(2, "The end of the year")]
    )
    assert ids(engine.search("volunteering claims", audience=PUBLIC).hits) == [1]
    assert ids(engine.search("the of", audience=PUBLIC).hits) == []


def test_title_counts_more_than_question_more_than_answer(engine):
    engine.index(
        [
            doc(1, "Something else", question="Nothing here", answer="Minibus permits are explained."),
            doc(2, "Minibus permits", question="Nothing here", answer="Something else is explained."),
            doc(3, "Something else", question="Our minibus permits?", answer="Something else is explained."),
        ]
    )
    assert ids(engine.search("minibus permits", audience=PUBLIC).hits) == [2, 3, 1]


def test_highlights_mark_matches_and_escape_everything_else(engine):
    engine.index(
        [
            doc(
                1,
                "Is <script>alert(1)</script> VAT & gift aid due?",
                question="We sell <b>tickets</b>.",
                answer="VAT is due on <i>tickets</i> & programmes.",
            )
        ]
    )
    hit = engine.search("vat", audience=PUBLIC).hits[0]
    # The highlighter's HTML encoder also escapes "/".
    assert hit.title_html == "Is &lt;script&gt;alert(1)&lt;&#x2F;script&gt; <mark>VAT</mark> &amp; gift aid due?"
    assert hit.snippet_html.startswith("<mark>VAT</mark> is due on &lt;i&gt;tickets&lt;")
    assert "<i>" not in hit.snippet_html


def test_a_title_only_match_shows_the_answers_start_as_its_snippet(engine):
    engine.index([doc(1, "Minibus permits", question="Do we need one?", answer="Yes: a <permit> under section 19.")])
    hit = engine.search("minibus", audience=PUBLIC).hits[0]
    assert hit.title_html == "<mark>Minibus</mark> permits"
    assert hit.snippet_html == "Yes: a &lt;permit&gt; under section 19."


@pytest.fixture
def faceted(engine):
    engine.index(
        [
            doc(1, "Volunteer expenses", published_at=dt.datetime(2024, 6, 1, tzinfo=dt.UTC)),
            doc(2, "Volunteer drivers", topic_id=2, topic_title="Rural transport", expert_id=11, expert_name="Ian"),
            doc(3, "Volunteer agreements", expert_id=11, expert_name="Ian"),
            doc(4, "Volunteer policies"),
            doc(5, "Trustee meetings"),
        ]
    )
    return engine


def test_facets_count_topics_experts_and_years_with_labels(faceted):
    results = faceted.search("volunteer", audience=PUBLIC)
    assert results.total == 4
    assert results.facets == {
        "topic": [FacetValue(1, "Charity law", 3), FacetValue(2, "Rural transport", 1)],
        "expert": [FacetValue(10, "Erin Expert", 2), FacetValue(11, "Ian", 2)],
        "year": [FacetValue(2025, "2025", 3), FacetValue(2024, "2024", 1)],
    }


def test_filters_narrow_results_and_facets(faceted):
    results = faceted.search("volunteer", audience=PUBLIC, filters=Filters(expert_id=11))
    assert sorted(ids(results.hits)) == [2, 3]
    assert results.facets["topic"] == [FacetValue(1, "Charity law", 1), FacetValue(2, "Rural transport", 1)]
    assert ids(faceted.search("volunteer", audience=PUBLIC, filters=Filters(topic_id=2)).hits) == [2]
    assert ids(faceted.search("volunteer", audience=PUBLIC, filters=Filters(year=2024)).hits) == [1]
    assert faceted.search("volunteer", audience=PUBLIC, facets=False).facets == {}


def test_offset_and_limit_page_through_the_same_total(faceted):
    everything = ids(faceted.search("volunteer", audience=PUBLIC, limit=10).hits)
    first = faceted.search("volunteer", audience=PUBLIC, offset=0, limit=3)
    second = faceted.search("volunteer", audience=PUBLIC, offset=3, limit=3)
    assert (first.total, second.total) == (4, 4)
    assert ids(first.hits) + ids(second.hits) == everything
    assert faceted.search("volunteer", audience=PUBLIC, offset=20_000).hits == []


@pytest.fixture
def networked(engine):
    engine.index(
        [
            doc(1, "Volunteer handbook", answer="A public answer."),
            doc(2, "Northshire volunteer handbook", visibility="network", network_id=NORTHSHIRE_ID, expert_id=11),
            doc(3, "Westvale volunteer handbook", visibility="network", network_id=WESTVALE_ID),
        ]
    )
    return engine


@pytest.mark.parametrize(
    ("audience", "expected"),
    [
        (Audience(), [1]),
        (Audience(network_ids=frozenset({NORTHSHIRE_ID})), [1, 2]),
        (Audience(network_ids=frozenset({WESTVALE_ID, 99})), [1, 3]),
        (Audience(everything=True), [1, 2, 3]),
        (Audience(expert_id=10), [1, 3]),  # the expert who wrote the Westvale answer
    ],
)
def test_network_answers_only_reach_their_network(networked, audience, expected):
    results = networked.search("volunteer handbook", audience=audience)
    assert sorted(ids(results.hits)) == expected
    assert results.total == len(expected)
    assert sum(value.count for value in results.facets["topic"]) == len(expected)
    assert sorted(ids(networked.similar("Is there a volunteer handbook?", audience=audience))) == expected


def test_similar_finds_answered_questions_like_the_text(engine):
    engine.index(
        [
            doc(1, "Paying volunteer drivers mileage", question="Can volunteers who drive claim mileage?"),
            doc(2, "Trustee meetings online", question="May trustees meet by video call?"),
            doc(3, "Mileage rates for staff", question="What mileage rate do staff get?"),
            doc(4, "Registering a charitable incorporated organisation", question="How do we register?"),
        ]
    )
    hits = engine.similar("Can our volunteer drivers claim mileage?", audience=PUBLIC)
    assert ids(hits) == [1]  # 3 shares "mileage" alone: too few of the words
    assert hits[0].title_html == "Paying volunteer drivers mileage"
    assert ids(engine.similar("Staff mileage rates for drivers", audience=PUBLIC, exclude_page_id=1)) == [3]
    assert ids(engine.similar("Should we become a CIO?", audience=PUBLIC)) == [4]
    assert len(engine.similar("mileage", audience=PUBLIC, limit=1)) == 1
    assert engine.similar("?! ...", audience=PUBLIC) == []


def test_index_replaces_and_remove_deletes(engine):
    engine.index([doc(1, "Minibus permits"), doc(2, "Minibus insurance")])
    engine.index([doc(1, "Section 19 permits")])
    assert ids(engine.search("minibus", audience=PUBLIC).hits) == [2]
    engine.remove([2, 404])
    assert engine.search("minibus", audience=PUBLIC).total == 0
    assert ids(engine.search("permits", audience=PUBLIC).hits) == [1]


def test_every_word_must_match_unless_none_has_them_all(engine):
    engine.index(
        [
            doc(1, "Volunteer drivers", answer="They may claim mileage."),
            doc(2, "Volunteer drivers", answer="Nothing about money."),
            doc(3, "Staff mileage", answer="Staff claim it monthly."),
        ]
    )
    results = engine.search("volunteers mileage", audience=PUBLIC)
    assert ids(results.hits)[0] == 1  # the words may be in different fields
    # Fewer than three answers have every word: those first, then answers with any of them.
    assert (sorted(ids(results.hits)), results.total, results.relaxed, results.with_every_word) == (
        [1, 2, 3],
        3,
        True,
        1,
    )
    second = engine.search("volunteers mileage", audience=PUBLIC, offset=1, limit=5)
    assert (sorted(ids(second.hits)), second.total) == ([2, 3], 3)
    results = engine.search("volunteers zebra", audience=PUBLIC)
    assert (sorted(ids(results.hits)), results.total, results.relaxed) == ([1, 2], 2, True)
    assert engine.search("zebra crossing", audience=PUBLIC).relaxed is False


@pytest.mark.parametrize("query", ["", "   ", "?!", "*"])
def test_a_query_without_words_finds_nothing(engine, query):
    engine.index([doc(1, "Volunteer drivers")])
    results = engine.search(query, audience=PUBLIC)
    assert (results.hits, results.total, results.facets) == ([], 0, {"topic": [], "expert": [], "year": []})


def test_rebuild_swaps_the_alias_and_searches_never_see_a_gap(engine):
    engine.index([doc(1, "Minibus permits"), doc(2, "Minibus insurance")])
    (old_index,) = engine.client.indices.get_alias(name=engine.alias)
    seen_during_rebuild = []

    def documents():
        yield doc(1, "Minibus permits, updated")
        # Halfway through: searches still read the old, complete index...
        seen_during_rebuild.append(ids(engine.search("minibus", audience=PUBLIC).hits))
        # ...and an answer published now reaches both indexes.
        engine.index([doc(3, "Minibus drivers' hours")])
        yield doc(3, "A stale copy read before it was published")
        yield doc(4, "Minibus parking")

    assert engine.rebuild(documents()) == 3
    assert sorted(seen_during_rebuild[0]) == [1, 2]
    (new_index,) = engine.client.indices.get_alias(name=engine.alias)
    assert new_index != old_index
    assert not engine.client.indices.exists(index=old_index)
    assert not engine.client.indices.exists_alias(name=engine.next_alias)
    results = engine.search("minibus", audience=PUBLIC)
    assert sorted(ids(results.hits)) == [1, 3, 4]  # 2 is no longer published
    assert "drivers" in next(hit.title_html for hit in results.hits if hit.page_id == 3)


def test_a_failed_rebuild_leaves_the_old_index_in_place(engine):
    engine.index([doc(1, "Minibus permits")])

    def documents():
        yield doc(2, "Minibus insurance")
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        engine.rebuild(documents())
    assert list(engine.client.indices.get_alias(index=f"{engine.alias}-*")) == list(
        engine.client.indices.get_alias(name=engine.alias)
    )
    assert ids(engine.search("minibus", audience=PUBLIC).hits) == [1]


def test_unreachable_cluster_counts_as_unavailable_but_bad_requests_do_not(engine, closed_port):
    down = ElasticsearchBackend(url=f"http://127.0.0.1:{closed_port}", prefix="test", timeout=1)
    with pytest.raises(elasticsearch.ConnectionError) as unreachable:
        down.search("minibus", audience=PUBLIC)
    assert is_unavailable(unreachable.value)
    engine.index([doc(1, "Minibus permits")])
    with pytest.raises(elasticsearch.BadRequestError) as bad:
        engine.client.search(index=engine.alias, query={"no_such_query": {}})
    assert not is_unavailable(bad.value)


# --- Falling back to the database engine


@pytest.fixture
def fallback(db, osmem_url):
    return FallbackElasticsearchBackend(url=osmem_url, prefix="test", timeout=5)


@pytest.fixture
def unreachable(db, closed_port):
    return FallbackElasticsearchBackend(url=f"http://127.0.0.1:{closed_port}", prefix="test", timeout=1)


def test_writes_reach_the_database_and_elasticsearch(fallback):
    fallback.index([doc(1, "Minibus permits"), doc(2, "Minibus insurance")])
    assert sorted(ids(fallback.elastic.search("minibus", audience=PUBLIC).hits)) == [1, 2]
    assert sorted(ids(fallback.database.search("minibus", audience=PUBLIC).hits)) == [1, 2]
    fallback.remove([2])
    assert ids(fallback.elastic.search("minibus", audience=PUBLIC).hits) == [1]
    assert ids(fallback.database.search("minibus", audience=PUBLIC).hits) == [1]


def test_searches_read_elasticsearch_while_it_answers(fallback):
    fallback.index([doc(1, "Setting up a CIO")])
    fallback.database.remove([1])  # only Elasticsearch has it now
    assert ids(fallback.search("charitable incorporated organisation", audience=PUBLIC).hits) == [1]


def test_an_unreachable_cluster_is_answered_from_the_database(unreachable, caplog):
    with caplog.at_level(logging.WARNING, logger="search"):
        with pytest.raises(IndexBehind, match="index will be tried again"):  # the database has them, though
            unreachable.index(
                [
                    doc(1, "Minibus permits", answer="Section 19 permits for minibus drivers."),
                    doc(2, "Northshire minibus rota", visibility="network", network_id=NORTHSHIRE_ID),
                ]
            )
        results = unreachable.search("minibus", audience=PUBLIC)
        members = unreachable.search("minibus", audience=Audience(network_ids=frozenset({NORTHSHIRE_ID})))
        similar = unreachable.similar("Do our minibus drivers need permits?", audience=PUBLIC)
    assert (ids(results.hits), results.total) == ([1], 1)
    assert results.hits[0].title_html == "<mark>Minibus</mark> permits"
    assert sorted(ids(members.hits)) == [1, 2]
    assert ids(similar) == [1]
    # One warning when it fails; then Elasticsearch is left alone for a while (no more connection attempts).
    (message,) = [record.getMessage() for record in caplog.records if record.name == "search"]
    assert message.startswith(f"Elasticsearch at {unreachable.elastic.url} is unavailable (ConnectionError: ")
    assert message.endswith("; index will be tried again")


def test_after_a_failure_elasticsearch_is_tried_again_later(unreachable, fallback, caplog):
    unreachable.search("minibus", audience=PUBLIC)
    assert cache.get(FallbackElasticsearchBackend.DOWN_KEY) == 1
    with pytest.raises(IndexBehind):  # while "down": the database only, and the task is to run again
        fallback.index([doc(1, "Minibus permits")])
    assert not fallback.elastic.client.indices.exists_alias(name=fallback.elastic.alias)
    assert ids(fallback.database.search("minibus", audience=PUBLIC).hits) == [1]
    cache.delete(FallbackElasticsearchBackend.DOWN_KEY)  # RETRY_AFTER seconds later
    fallback.index([doc(1, "Minibus permits")])
    assert ids(fallback.elastic.search("minibus", audience=PUBLIC).hits) == [1]


def test_errors_other_than_availability_are_not_hidden(fallback, monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("a bug in building the query")

    monkeypatch.setattr(fallback.elastic, "search", broken)
    with pytest.raises(ValueError, match="a bug"):
        fallback.search("minibus", audience=PUBLIC)


# --- Configured by ELASTICSEARCH_URL: publishing, search_reindex, the search page


@pytest.fixture
def configured(settings, osmem_url, site_tree):
    settings.ELASTICSEARCH_URL = osmem_url
    settings.SEARCH_BACKEND = "search.backends.elastic.FallbackElasticsearchBackend"
    settings.SEARCH_INDEX_PREFIX = "test"
    reset_backend()
    yield get_backend()
    reset_backend()


@pytest.fixture
def published(topic, northshire, erin):
    return [
        make_published_page(topic=topic, title="Volunteer mileage rates", expert=erin),
        make_published_page(
            topic=topic, title="Northshire volunteer handbook", visibility="network", network=northshire, expert=erin
        ),
        make_published_page(topic=topic, title="Registering a CIO", answer="Use the online form to register. " * 3),
    ]


def test_publishing_indexes_into_the_database_and_elasticsearch(configured, topic, erin, run_on_commit):
    with run_on_commit():
        page = make_published_page(topic=topic, title="Volunteer mileage rates", expert=erin)
    assert ids(configured.elastic.search("mileage", audience=PUBLIC).hits) == [page.pk]
    assert ids(configured.database.search("mileage", audience=PUBLIC).hits) == [page.pk]
    with run_on_commit():
        page.unpublish()
    assert configured.elastic.search("mileage", audience=PUBLIC).total == 0
    assert configured.database.search("mileage", audience=PUBLIC).total == 0


def test_answers_published_while_the_cluster_is_away_reach_it_when_it_is_back(
    settings, osmem_url, closed_port, site_tree, topic, erin, run_on_commit
):
    settings.SEARCH_BACKEND = "search.backends.elastic.FallbackElasticsearchBackend"
    settings.SEARCH_INDEX_PREFIX = "test"
    settings.ELASTICSEARCH_URL = f"http://127.0.0.1:{closed_port}"  # the cluster is down
    reset_backend()
    with run_on_commit():
        page = make_published_page(topic=topic, title="Volunteer mileage rates", expert=erin)
    task = OutboxMessage.objects.get(job="search.tasks.index_pages", args=[[page.pk]])
    assert (task.state, task.attempts) == (OutboxMessage.State.PENDING, 1), "to be tried again"
    assert "IndexBehind: Elasticsearch is unavailable" in task.last_error
    assert ids(get_backend().search("mileage", audience=PUBLIC).hits) == [page.pk], "searches: the database"

    settings.ELASTICSEARCH_URL = osmem_url  # the cluster is back (and empty)
    reset_backend()
    cache.delete(FallbackElasticsearchBackend.DOWN_KEY)
    OutboxMessage.objects.filter(pk=task.pk).update(available_at=timezone.now())  # its next try has come
    relay.relay()
    task.refresh_from_db()
    assert task.state == OutboxMessage.State.DONE
    assert ids(get_backend().elastic.search("mileage", audience=PUBLIC).hits) == [page.pk]
    reset_backend()


def test_search_reindex_builds_a_new_index_and_moves_the_alias(configured, published):
    out, err = io.StringIO(), io.StringIO()
    call_command("search_reindex", stdout=out, stderr=err)
    assert out.getvalue() == "Indexed 3 answers (elasticsearch engine).\n"
    assert "3/3" in err.getvalue()
    client, alias = configured.elastic.client, configured.elastic.alias
    (first,) = client.indices.get_alias(name=alias)
    assert sorted(ids(configured.elastic.search("volunteer", audience=Audience(everything=True)).hits)) == sorted(
        page.pk for page in published[:2]
    )

    call_command("search_reindex", stdout=io.StringIO(), stderr=io.StringIO())
    (second,) = client.indices.get_alias(name=alias)
    assert second != first
    assert list(client.indices.get_alias(index=f"{alias}-*")) == [second]


def test_search_reindex_rebuilds_the_database_engine_when_it_is_the_one_configured(settings, published):
    settings.SEARCH_BACKEND = "search.backends.database.DatabaseBackend"
    reset_backend()
    out = io.StringIO()
    call_command("search_reindex", "--batch-size=2", stdout=out, stderr=io.StringIO())
    assert out.getvalue() == "Indexed 3 answers (database engine).\n"
    assert ids(get_backend().search("CIO", audience=PUBLIC).hits) == [published[2].pk]
    reset_backend()


def test_the_search_page_reads_elasticsearch_with_the_access_rules(client, configured, published, alice):
    call_command("search_reindex", stdout=io.StringIO(), stderr=io.StringIO())
    configured.database.rebuild([])  # so that only Elasticsearch could have answered

    body = client.get("/search/", {"q": "charitable incorporated organisation"}).content.decode()
    assert "Registering a <mark>CIO</mark>" in body
    body = client.get("/search/", {"q": "volunteer"}).content.decode()
    assert "<mark>Volunteer</mark> mileage rates" in body
    assert "Northshire volunteer handbook" not in body
    client.force_login(alice)
    body = client.get("/search/", {"q": "volunteer"}).content.decode()
    assert "Northshire <mark>volunteer</mark> handbook" in body


def test_before_the_first_reindex_searches_are_answered_from_the_database(fallback, caplog):
    fallback.database.index([doc(1, "Minibus permits")])
    with caplog.at_level(logging.WARNING, logger="search"):
        assert ids(fallback.search("minibus", audience=PUBLIC).hits) == [1]
    assert caplog.messages == [
        "Elasticsearch has no index test-answers yet (run manage.py search_reindex); answering from the database"
    ]
