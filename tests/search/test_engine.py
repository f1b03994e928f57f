"""The database search engine (SQLite FTS5 or PostgreSQL full text), driven through its contract.

Documents are indexed directly (no pages): these tests are about ranking, highlighting, access filtering,
facets and paging. Indexing from pages is in test_indexing.py, the search page in test_search.py.
"""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from search import more_like_this
from search.backends.base import Audience, Filters, Hit, SearchDocument
from search.backends.database import DatabaseBackend
from search.models import IndexTerm
from search.text import marked_html, query_terms, query_words
from tests.search import similar_cases, synonym_cases

EVERYONE = Audience()
COORDINATOR = Audience(everything=True)
NORTH, WEST = 101, 202


def doc(
    page_id, title, answer="", *, question="", visibility="public", network_id=None, topic_id=1, expert_id=7, year=2025
):
    return SearchDocument(
        page_id=page_id,
        title=title,
        question=question or f"A question about {title.lower()}.",
        answer=answer or "Some general advice for community groups.",
        url_path=f"/topics/t/{page_id}/",
        visibility=visibility,
        network_id=network_id,
        topic_id=topic_id,
        topic_title={1: "Charity law", 2: "Funding", 3: "Volunteering"}.get(topic_id, "Other"),
        expert_id=expert_id,
        expert_name={7: "Erin Expert", 8: "Fred Finance"}.get(expert_id, "Someone"),
        published_at=dt.datetime(year, 6, 1, 12, tzinfo=dt.UTC),
    )


@pytest.fixture
def engine(db):
    return DatabaseBackend()


def ids(hits):
    return [hit.page_id for hit in hits]


def test_a_title_match_outranks_matches_in_the_answer(engine):
    engine.index(
        [
            doc(1, "Paying for room hire", "Mileage for volunteers is covered in another answer. Mileage rates vary."),
            doc(2, "Mileage allowances for volunteers", "Drivers can claim the approved rate."),
            doc(3, "Insurance for events", "Nothing relevant here."),
        ]
    )
    results = engine.search("mileage", audience=EVERYONE)
    assert ids(results.hits) == [2, 1]
    assert results.total == 2
    assert results.hits[0].score > results.hits[1].score


def test_words_are_stemmed_and_every_word_must_match(engine):
    engine.index(
        [
            doc(1, "Volunteer drivers", "Reimbursing volunteers who drive their own cars."),
            doc(2, "Volunteer policies", "Writing a policy for volunteering."),
        ]
    )
    assert set(ids(engine.search("volunteering", audience=EVERYONE).hits)) == {1, 2}
    engine.index([doc(3, "Volunteers who drive", "Mileage."), doc(4, "Driving volunteers home", "Insurance.")])
    results = engine.search("volunteers driving", audience=EVERYONE)
    assert (sorted(ids(results.hits)), results.total, results.relaxed) == ([1, 3, 4], 3, False)


def test_when_few_answers_have_every_word_those_come_first_then_answers_with_some(engine):
    engine.index(
        [
            doc(1, "Mileage for staff", "Mileage, mileage and more mileage rates for staff."),
            doc(2, "Volunteer drivers", "Volunteer drivers may claim mileage."),
            doc(3, "Room hire", "Nothing relevant."),
        ]
    )
    results = engine.search("volunteer mileage", audience=EVERYONE)
    assert (ids(results.hits), results.total, results.relaxed, results.with_every_word) == ([2, 1], 2, True, 1)
    second = engine.search("volunteer mileage", audience=EVERYONE, offset=1, limit=1)
    assert (ids(second.hits), second.total) == ([1], 2)


def test_when_no_answer_has_every_word_any_word_will_do(engine):
    engine.index([doc(1, "Volunteer drivers"), doc(2, "Room hire")])
    results = engine.search("volunteer zebra", audience=EVERYONE)
    assert (ids(results.hits), results.total, results.relaxed) == ([1], 1, True)
    assert engine.search("volunteer drivers", audience=EVERYONE).relaxed is False


def test_highlights_wrap_matches_in_mark_and_escape_everything_else(engine):
    engine.index(
        [
            doc(
                1,
                "<b>Volunteer</b> expenses & mileage",
                "Pay <script>alert('volunteer')</script> volunteers their expenses, not a penny more.",
            )
        ]
    )
    hit = engine.search("volunteer", audience=EVERYONE).hits[0]
    assert hit.title_html == "&lt;b&gt;<mark>Volunteer</mark>&lt;/b&gt; expenses &amp; mileage"
    assert "<mark>volunteers</mark>" in hit.snippet_html
    assert "<script" not in hit.snippet_html  # escaped (SQLite) or left out of the excerpt (PostgreSQL)
    assert hit.snippet_html.replace("<mark>", "").replace("</mark>", "").count("<") == 0


def test_the_snippet_comes_from_the_question_when_the_answer_has_no_match(engine):
    engine.index([doc(1, "Room hire", "Nothing to see.", question="Can we charge for the hall?")])
    hit = engine.search("hall", audience=EVERYONE).hits[0]
    assert hit.snippet_html.startswith("Can we charge for the <mark>hall</mark>")


def test_marked_html_never_leaves_a_mark_open():
    assert marked_html("a \ue000b & c") == "a b &amp; c"
    assert marked_html("\ue000x\ue001 <y>") == "<mark>x</mark> &lt;y&gt;"


@pytest.fixture
def shared(engine):
    engine.index(
        [
            doc(1, "Volunteer expenses", visibility="public"),
            doc(2, "Northshire volunteer policy", visibility="network", network_id=NORTH, expert_id=7),
            doc(3, "Westvale volunteer handbook", visibility="network", network_id=WEST, expert_id=8),
        ]
    )
    return engine


@pytest.mark.parametrize(
    ("audience", "expected"),
    [
        (Audience(), {1}),  # anonymous, lapsed subscribers, people in no network
        (Audience(network_ids=frozenset({NORTH})), {1, 2}),
        (Audience(network_ids=frozenset({NORTH, WEST})), {1, 2, 3}),
        (Audience(expert_id=8), {1, 3}),  # an expert sees the network-only answers they wrote
        (Audience(everything=True), {1, 2, 3}),  # coordinators
    ],
)
def test_each_audience_finds_only_what_it_may_see(shared, audience, expected):
    results = shared.search("volunteer", audience=audience)
    assert set(ids(results.hits)) == expected
    assert results.total == len(expected)
    assert sum(value.count for value in results.facets["year"]) == len(expected)
    similar = shared.similar("A question on volunteer policy, handbook or expenses", audience=audience)
    assert {hit.page_id for hit in similar} == expected


def test_facets_count_the_matches_and_agree_with_the_filtered_results(engine):
    engine.index(
        [doc(n, f"Grant funding {n}", topic_id=1 + n % 3, expert_id=7 + n % 2, year=2020 + n % 4) for n in range(1, 25)]
    )
    results = engine.search("grant", audience=EVERYONE, limit=5)
    assert results.total == 24
    assert len(results.hits) == 5
    facets = results.facets
    assert {v.label: v.count for v in facets["topic"]} == {"Charity law": 8, "Funding": 8, "Volunteering": 8}
    assert {v.label: v.count for v in facets["expert"]} == {"Erin Expert": 12, "Fred Finance": 12}
    assert [v.value for v in facets["year"]] == [2023, 2022, 2021, 2020]
    for name, field in (("topic", "topic_id"), ("expert", "expert_id"), ("year", "year")):
        for value in facets[name]:
            narrowed = engine.search("grant", audience=EVERYONE, filters=Filters(**{field: value.value}), limit=50)
            assert narrowed.total == len(narrowed.hits) == value.count
    both = engine.search("grant", audience=EVERYONE, filters=Filters(topic_id=2, year=2021), limit=50)
    assert sorted(ids(both.hits)) == [n for n in range(1, 25) if 1 + n % 3 == 2 and 2020 + n % 4 == 2021]
    assert {v.value for v in both.facets["topic"]} == {2}


def test_pages_of_results_follow_one_ranking_without_gaps_or_repeats(engine):
    engine.index([doc(n, f"Lease renewal {n}", "lease " * (n % 5 + 1)) for n in range(1, 24)])
    seen = []
    for offset in (0, 10, 20):
        results = engine.search("lease", audience=EVERYONE, offset=offset, limit=10, facets=False)
        assert results.total == 23
        seen += ids(results.hits)
    assert sorted(seen) == list(range(1, 24))
    everything = ids(engine.search("lease", audience=EVERYONE, limit=30, facets=False).hits)
    assert seen == everything


def test_indexing_again_replaces_and_remove_takes_out(engine):
    engine.index([doc(1, "Volunteer expenses"), doc(2, "Room hire")])
    engine.index([doc(1, "Trustee expenses")])
    assert ids(engine.search("volunteer", audience=EVERYONE).hits) == []
    assert ids(engine.search("trustee", audience=EVERYONE).hits) == [1]
    engine.remove([1, 99])
    assert engine.search("trustee", audience=EVERYONE).total == 0
    assert ids(engine.search("room", audience=EVERYONE).hits) == [2]


def test_rebuild_replaces_the_whole_index(engine):
    engine.index([doc(1, "Volunteer expenses"), doc(2, "Room hire")])
    assert engine.rebuild(iter([doc(3, "Volunteer drivers"), doc(4, "Insurance"), doc(3, "Volunteer drivers")])) == 2
    assert ids(engine.search("volunteer", audience=EVERYONE).hits) == [3]
    assert engine.search("room", audience=EVERYONE).total == 0


def test_similar_finds_answers_sharing_the_distinctive_words_and_leaves_out_one(engine):
    engine.index(
        [
            doc(1, "Paying volunteer drivers mileage", "Mileage rates for volunteer drivers."),
            doc(2, "Volunteer drivers and insurance", "Insurance for drivers."),
            doc(3, "Room hire charges", "Charging for the hall."),
        ]
    )
    hits = engine.similar("How much mileage can we pay our volunteer drivers?", audience=EVERYONE)
    assert ids(hits) == [1, 2]
    assert ids(engine.similar("mileage for volunteer drivers", audience=EVERYONE, exclude_page_id=1)) == [2]
    assert engine.similar("the and of", audience=EVERYONE) == []


def test_similar_finds_the_answers_sharing_enough_distinctive_words_best_first(engine):
    engine.index(similar_cases.documents(doc))
    similar_cases.check(engine, EVERYONE, ids)


def test_similar_ranks_every_answer_not_a_window_of_the_newest(engine):
    # The one answer about tamping is the oldest of 1,300 that share a common word with the text.
    engine.rebuild(
        [doc(1, "How hard should I tamp espresso coffee?", "Tamp the espresso grounds firmly and evenly.")]
        + [doc(page_id, f"Coffee note {page_id}", "Coffee beans and brewing.") for page_id in range(2, 1302)]
    )
    hits = engine.similar("How do I know how hard to tamp my espresso coffee?", audience=EVERYONE, limit=3)
    assert ids(hits)[0] == 1


def test_similar_leaves_out_answers_sharing_only_one_word_of_many(engine):
    engine.index(
        [
            doc(1, "Volunteer drivers and mileage", "Volunteer drivers may claim the approved mileage rate per mile."),
            doc(2, "Paying trustees for training", "Register with the Charity Commission once income passes it."),
        ]
    )
    text = "Can our volunteer drivers claim mileage? We take older people to appointments and pay per mile."
    assert ids(engine.similar(text, audience=EVERYONE)) == [1]  # 2 shares only "pay" ("paying")


def test_similar_chooses_the_words_that_tell_a_text_apart():
    found = more_like_this.candidates("Tamping: how hard to tamp the espresso? Espresso tamping, 2024, by me")
    assert {candidate.key: candidate.count for candidate in found} == {"tamp": 3, "hard": 1, "espresso": 2}
    doc_freqs = {"tamp": 3, "hard": 400, "espresso": 40}
    chosen = more_like_this.choose(found, doc_freqs, 1000)
    assert [term.word for term in chosen] == ["tamping", "espresso"]  # "hard" is in 40 % of answers
    assert [term.word for term in more_like_this.choose(found, {"hard": 400}, 1000)] == ["hard"]  # nothing rarer
    assert more_like_this.choose(found, {}, 1000) == []  # no answer has any of them
    budgeted = more_like_this.choose(found, doc_freqs, 1000, budget=30)
    assert [term.word for term in budgeted] == ["tamping"]  # espresso's 40 answers would pass the budget
    assert [term.word for term in more_like_this.choose(found, doc_freqs, 1000, budget=2)] == ["tamping"]  # rarest


def test_the_best_candidates_are_reranked_by_the_weight_of_the_words_they_have():
    terms = [
        more_like_this.Term(key=k, word=k, weight=w, docs=1) for k, w in (("tamp", 5.0), ("coffe", 1.0), ("bean", 1.0))
    ]
    hits = [
        Hit(page_id=1, score=9.0, title_html="", snippet_html=""),
        Hit(page_id=2, score=8.0, title_html="", snippet_html=""),
    ]
    hits.append(Hit(page_id=3, score=9.5, title_html="", snippet_html=""))
    matched = {1: {1, 2}, 2: {0, 1}, 3: {2}}  # 3 has one word of three: dropped
    assert [hit.page_id for hit in more_like_this.rerank(hits, terms, matched)] == [2, 1]


def test_query_words_drop_punctuation_and_stop_words():
    assert query_words('"Volunteer*" AND (expenses) OR NEAR(x: -y)') == ["volunteer", "expenses", "near", "x", "y"]
    assert query_words("the and of") == ["the", "and", "of"]  # nothing else to search for
    assert query_words("  ") == []


@pytest.mark.parametrize(
    "query",
    [
        '"',
        "'",
        "*",
        "volunteer*",
        "NEAR(volunteer expenses)",
        "volunteer:expenses",
        "-volunteer",
        "^volunteer",
        "AND",
        "OR NOT",
        "(",
        ")",
        "{}",
        "\\",
        "%",
        "_",
        "__init__",
        "ñandú 中文",
        "a" * 200,
        "\x00",
        "‮",
    ],
)
def test_punctuation_is_never_search_syntax(engine, query):
    engine.index([doc(1, "Volunteer expenses")])
    engine.search(query, audience=EVERYONE)  # no error
    engine.similar(query, audience=EVERYONE)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.text(max_size=60))
def test_any_text_searches_without_error(shared, query):
    results = shared.search(query, audience=Audience(network_ids=frozenset({NORTH})))
    assert results.total >= len(results.hits)
    assert all(hit.page_id in {1, 2} for hit in results.hits)


def _queries_for_search(engine, **kwargs):
    with CaptureQueriesContext(connection) as queries:
        engine.search("grant", **kwargs)
    return len(queries)


def test_the_number_of_queries_does_not_grow_with_the_index(engine):
    engine.index([doc(n, f"Grant {n}", topic_id=1 + n % 3) for n in range(1, 21)])
    few = [
        _queries_for_search(engine, audience=Audience(network_ids=frozenset({NORTH}))),
        _queries_for_search(engine, audience=EVERYONE, facets=False, offset=10),
    ]
    engine.index([doc(n, f"Grant {n}", topic_id=1 + n % 3, year=2000 + n % 20) for n in range(21, 61)])
    many = [
        _queries_for_search(engine, audience=Audience(network_ids=frozenset({NORTH}))),
        _queries_for_search(engine, audience=EVERYONE, facets=False, offset=10),
    ]
    assert few == many
    # With facets, one pass over the matches gives them and the total; without, the count does (the newest ids for
    # the ranking window are found separately, only past RANK_WINDOW matches). SQLite: facets or count with window,
    # ranked page, and with facets first whether most answers have the words (to count a common word's facets from
    # the answers without it); PostgreSQL adds a savepoint and its planner settings.
    assert many == ([3, 2] if connection.vendor == "sqlite" else [7, 7])


def test_past_the_ranking_window_older_matches_follow_newest_first(engine, monkeypatch):
    from search.backends import database

    monkeypatch.setattr(database, "RANK_WINDOW", 4)
    # Pages 1..10 mention "lease"; the older ones mention it more often (would rank higher if scored).
    engine.index([doc(n, f"Lease {n}", "lease " * (12 - n)) for n in range(1, 11)])
    results = engine.search("lease", audience=EVERYONE, limit=3, facets=False)
    assert results.total == 10
    assert set(ids(results.hits)) <= {7, 8, 9, 10}  # scored within the four newest matches
    pages = [ids(engine.search("lease", audience=EVERYONE, offset=o, limit=3, facets=False).hits) for o in (0, 3, 6, 9)]
    everything = [page_id for page in pages for page_id in page]
    assert sorted(everything) == list(range(1, 11))  # every match once, none twice
    assert everything[4:] == [6, 5, 4, 3, 2, 1]  # past the window: newest first
    assert engine.search("lease", audience=EVERYONE, facets=True).facets["year"][0].count == 10


@pytest.mark.parametrize("walk_at_most", [-1, 10**9], ids=["window-from-all-matches", "window-by-walking-newest"])
def test_with_facets_the_results_are_those_without(engine, monkeypatch, walk_at_most):
    """With facets the total comes from the facet pass and the window's start is found apart (on PostgreSQL by
    walking the newest entries when matches are dense, else from every match): the same hits either way."""
    from search.backends import database

    monkeypatch.setattr(database, "RANK_WINDOW", 4)
    monkeypatch.setattr(database, "WALK_AT_MOST", walk_at_most)
    engine.index(
        [doc(n, f"Lease {n}", "lease " * (12 - n)) for n in range(1, 11)]
        + [doc(n, f"Licence {n}", "licence") for n in range(11, 20)]
    )
    for offset in (0, 3, 6, 9):
        with_facets = engine.search("lease", audience=EVERYONE, offset=offset, limit=3, facets=True)
        without = engine.search("lease", audience=EVERYONE, offset=offset, limit=3, facets=False)
        assert (
            (with_facets.total, ids(with_facets.hits)) == (without.total, ids(without.hits)) == (10, ids(without.hits))
        )
        assert sum(value.count for value in with_facets.facets["year"]) == 10


def test_words_beginning_with_zq_are_searched_like_any_other(engine):
    """On SQLite, filter tokens in the index start with "zq": a word that starts so is still searched, and a word
    that looks exactly like a filter token finds the text, never the rows that token filters."""
    engine.index(
        [
            doc(1, "Zqwerty keyboard grant"),
            doc(2, "Part zqt1 of the form", topic_id=1),
            doc(3, "Another answer on topic one", topic_id=1),
            doc(4, "Network answer", visibility="network", network_id=NORTH),
        ]
    )
    assert ids(engine.search("zqwerty", audience=EVERYONE).hits) == [1]
    assert ids(engine.search("zqt1", audience=EVERYONE).hits) == [2]  # not every answer on topic 1
    assert engine.search("zqpublic", audience=EVERYONE).total == 0  # not every public answer
    assert engine.search(f"zqn{NORTH}", audience=Audience(network_ids=frozenset({NORTH}))).total == 0
    assert ids(engine.search("zqwerty grant", audience=EVERYONE).hits) == [1]


def test_query_terms_make_each_sector_term_one_term_of_all_its_forms():
    vat = (("vat",), ("value", "added", "tax"))
    assert query_terms("VAT returns") == [vat, (("returns",),)]
    assert query_terms("Is value added tax due?") == [vat, (("due",),)]
    assert query_terms("the VAT") == [vat]
    assert query_terms("advocacy groups") == [(("advocacy",),), (("groups",),)]  # "vat" inside a word is not it


@pytest.mark.parametrize("query", synonym_cases.QUERIES)
def test_sector_synonyms_find_each_other_in_the_database_engine(engine, query):
    # Answer 7 has the words of "value added tax" but not the phrase: it is not found for the term.
    engine.index(
        [*synonym_cases.documents(doc), doc(7, "Added value of volunteering", answer="Tax relief is another matter.")]
    )
    assert sorted(ids(engine.search(query, audience=EVERYONE).hits)) == synonym_cases.found(query)


def test_a_sector_term_counts_as_one_of_several_words_that_must_all_match(engine):
    engine.index(
        [
            doc(1, "VAT on room hire", answer="Room hire is usually exempt."),
            doc(2, "Room hire for parties", answer="Charge what the market bears, plus value added tax if registered."),
            doc(3, "VAT registration", answer="Register when turnover passes the threshold."),
        ]
    )
    found = ids(engine.search("value added tax room hire", audience=EVERYONE).hits)
    assert sorted(found) == [1, 2]  # 3 has "VAT" alone of five words: too few to be listed after them
    relaxed = engine.search("VAT zebra", audience=EVERYONE)
    assert (sorted(ids(relaxed.hits)), relaxed.relaxed) == ([1, 2, 3], True)


def test_the_count_of_answers_having_each_word_follows_indexing(engine):
    def counts():
        terms = IndexTerm.objects.filter(term__in=["tamp", "espresso", more_like_this.TOTAL])
        return {term or "answers": docs for term, docs in terms.values_list("term", "docs")}

    engine.index([doc(1, "Tamping espresso", "Tamp it."), doc(2, "Espresso machines"), doc(3, "Room hire")])
    assert counts() == {"tamp": 1, "espresso": 2, "answers": 3}
    engine.index([doc(1, "Tamping espresso", "Tamp it again.")])  # re-indexed: counted once
    engine.remove([2])
    assert counts() == {"tamp": 1, "espresso": 1, "answers": 2}
    engine.rebuild(iter([doc(4, "Espresso tamping"), doc(5, "Espresso")]))
    assert counts() == {"tamp": 1, "espresso": 2, "answers": 2}


def _facet_counts(results):
    return {
        name: {value.value: (value.label, value.count) for value in values} for name, values in results.facets.items()
    }


def test_a_common_words_facets_counted_from_the_answers_without_it_are_the_same(engine, monkeypatch):
    """SQLite counts the facets of a word most answers have from the answers that do not have it, less the counts
    kept per facet group as answers are indexed and removed; every audience, filter, update and removal must give
    exactly what counting the matches gives."""
    from search.backends import database

    engine.index(
        [
            doc(
                n,
                f"Charity accounts and VAT {n}" if n % 5 else f"Village hall {n}",
                visibility="network" if n % 4 == 0 else "public",
                network_id=(NORTH, WEST)[n % 2] if n % 4 == 0 else (NORTH if n % 7 == 0 else None),
                topic_id=1 + n % 3,
                expert_id=7 + n % 2,
                year=2022 + n % 3,
            )
            for n in range(1, 61)
        ]
    )
    audiences = [
        EVERYONE,
        Audience(network_ids=frozenset({NORTH})),
        Audience(network_ids=frozenset({NORTH, WEST})),
        Audience(expert_id=8),
        COORDINATOR,
    ]
    filters = [Filters(), Filters(topic_id=2), Filters(expert_id=7, year=2023)]

    def compare():
        for audience in audiences:
            for narrowed in filters:
                # known words, common and rare; a sector term (its forms are not in the counts: matches counted)
                for query in ("charity", "charity accounts", "hall", "value added tax"):
                    results = {}
                    for complement_from in (0, 10**9):  # counted from the rest / from the matches
                        monkeypatch.setattr(database, "COMPLEMENT_FROM", complement_from)
                        found = engine.search(query, audience=audience, filters=narrowed, limit=100)
                        results[complement_from] = (found.total, sorted(ids(found.hits)), _facet_counts(found))
                        unfaceted = engine.search(query, audience=audience, filters=narrowed, limit=100, facets=False)
                        assert (unfaceted.total, sorted(ids(unfaceted.hits))) == results[complement_from][:2]
                    assert results[0] == results[10**9], (audience, narrowed, query)
                    assert results[0][0] == len(results[0][1])

    compare()
    engine.index(
        [doc(n, f"Charity accounts moved {n}", visibility="network", network_id=WEST, topic_id=3) for n in (8, 9)]
    )
    engine.remove([10, 11, 12])
    compare()
    engine.rebuild([doc(n, f"Charity rebuilt {n}", topic_id=1 + n % 2, year=2024) for n in range(1, 31)])
    compare()
    monkeypatch.setattr(database, "COMPLEMENT_FROM", 0)
    assert engine.search("charity", audience=EVERYONE).total == 30
