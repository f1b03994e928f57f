"""The quality floor of search, related questions and suggestions while asking, on real questions.

A fixed slice of four Stack Exchange dumps on unrelated subjects (``tests/search/data/stackexchange``: 45 answered
questions each, cut by ``scripts/slice-stackexchange``; CC BY-SA, see the README there) is imported with the product's
own importer and asked about as ``bench/relevance.py`` asks about the whole dumps, with the same code. A plain BM25
is computed on the same text. Run on SQLite and, in CI's second pass, PostgreSQL: a change that makes either engine
worse than the floors below fails.
"""

from pathlib import Path

import pytest
from django.core.management import call_command

from bench.relevance import BM25Reference, build_questions, evaluate, site_for
from qa_site.knowledge.models import QuestionPage
from search.backends import get_backend
from search.backends.base import Audience
from search.documents import iter_documents

SLICE = Path(__file__).parent / "data" / "stackexchange"


@pytest.fixture
def imported(topic, run_on_commit, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with run_on_commit():  # the importer indexes the answers after its transactions commit
        for dump in sorted(SLICE.glob("*/Posts.xml")):
            site = site_for(dump.parent.name)
            call_command("import_stackexchange", str(dump), site=site, topic=topic.slug, source=f"se:{site}")
    # Indexed again in one piece: a transactional test run earlier in this process empties the tables but not
    # SQLite's full-text index (not a model), whose stale entries would otherwise meet these pages' ids.
    get_backend().rebuild(iter_documents())
    documents = {doc.page_id: doc for doc in iter_documents()}
    site_of = dict(QuestionPage.objects.filter(pk__in=documents).values_list("pk", "source_name"))
    assert len(set(site_of.values())) == 4
    assert len(documents) == 180
    return documents, site_of


def test_search_related_and_similar_questions_hold_their_quality_on_real_questions(imported, capsys):
    documents, site_of = imported
    reference = BM25Reference(documents.values())
    questions, _ = build_questions(documents, site_of, reference, count=len(documents), seed=7)
    everyone = Audience(everything=True)
    ours = evaluate(get_backend(), questions, site_of, everyone, label="engine")
    plain = evaluate(reference, questions, site_of, everyone, label="bm25")

    figures = {
        "related, same site": ours["related"].same_share(),
        "related, returned": ours["related"].mean_returned(),
        "asking, title: itself in 5": ours["ask:title"].recall(5),
        "asking, body: itself in 5": ours["ask:body"].recall(5),
        **{f"search MRR, {kind}": ours[f"search:{kind}"].mrr() for kind in ("title", "rare", "answer", "common")},
        "search MRR, answer words, bm25": plain["search:answer"].mrr(),
    }
    shown = ", ".join(f"{name} {value:.3f}" for name, value in figures.items())

    # Related questions (an answer page's list): at least 85 % from the question's own site (chance: 25 %).
    assert figures["related, same site"] >= 0.85, shown
    assert figures["related, returned"] >= 4.9, shown
    # Suggestions while asking: the question itself among the first five when its title, or the first 30 words of
    # its body, is typed.
    assert figures["asking, title: itself in 5"] >= 0.95, shown
    assert figures["asking, body: itself in 5"] >= 0.80, shown
    # Search: the exact title and a few title words find it first; three words of the answer about as well as BM25
    # (on the whole dumps, better: docs/performance.md).
    assert figures["search MRR, title"] >= 0.95, shown
    assert figures["search MRR, rare"] >= 0.90, shown
    assert figures["search MRR, common"] >= 0.90, shown
    assert figures["search MRR, answer"] >= min(0.90, figures["search MRR, answer words, bm25"] - 0.03), shown
    print(shown)
