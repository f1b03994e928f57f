"""The benchmark data generator: repeatable, realistic enough, and honest about its word bands."""

from bench.generate_qa import generate, qa_text, qa_texts, term_bands
from qa_site.knowledge.models import QuestionPage

from .tree import assert_tree_valid


def test_generate_creates_published_answers_from_the_texts(site_tree):
    result = generate(30, seed=3, progress=False)

    pages = list(QuestionPage.objects.filter(pk__in=result.page_ids).select_related("topic", "expert", "network"))
    texts = list(qa_texts(30, seed=3))
    assert [p.title for p in sorted(pages, key=lambda p: p.pk)] == [t.title for t in texts]
    assert all(p.live for p in pages)
    assert {p.visibility for p in pages} == {"public", "network"}
    assert all((p.network is not None) == (p.visibility == "network") for p in pages)
    assert all(p.topic in p.expert.expert_profile.topics.all() for p in pages)
    assert_tree_valid()


def test_generate_is_repeatable_item_by_item():
    assert qa_text(7, seed=3) == qa_text(7, seed=3)
    assert qa_text(7, seed=3) != qa_text(7, seed=4)
    assert list(qa_texts(3, seed=1, start=5)) == [qa_text(n, seed=1) for n in (5, 6, 7)]
    assert all(120 <= len(qa_text(n).answer.split()) <= 460 for n in range(50))


def test_term_bands_hold():
    bands = term_bands(sample=2000)

    assert all(share >= 0.95 for share in bands["common"].values())
    assert all(0.2 <= share <= 0.3 for share in bands["quarter"].values())
    assert all(0 < share < 0.01 for share in bands["rare"].values())
