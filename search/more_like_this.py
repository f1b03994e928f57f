"""Which words of a text to look for when finding answers like it ("more like this"), for every engine.

A question's related questions and the answers suggested while someone types at ``/ask/`` are found from the words
that tell the text apart: each candidate word is weighed by how often the text uses it and how rare it is among the
indexed answers (tf-idf), and the best are searched for, any of them matching, with the engine ranking every answer
that has one (bm25 on SQLite, ``ts_rank`` on PostgreSQL, ``more_like_this`` on Elasticsearch). Of the best ranked,
those with fewer than ``SHOULD_MATCH`` of the terms are dropped (Elasticsearch's ``minimum_should_match``).

Words found in no indexed answer are left out (they cannot match). Words in more than ``MAX_SHARE`` of the answers
(and more than ``MIN_CEILING``) say little about a subject and are left out too, unless nothing else is left. The
answers the chosen words match are kept within ``POSTINGS_BUDGET`` (the sum of their document frequencies): scoring
every match costs about a microsecond each on SQLite and more on PostgreSQL, so a text made only of common words is
looked up by its rarest few.
"""

import math
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

from .text import STOP_WORDS, words

MAX_TERMS = 25
MAX_SHARE = 0.25
MIN_CEILING = 100  # a small index keeps words that a quarter of it has
POSTINGS_BUDGET = 6_000
MIN_LENGTH = 3
TOTAL = ""  # the key under which the count of answers keeps how many answers there are
ELASTIC_SHOULD_MATCH = "2<2 20<10%"  # the same rule (minimum_should_match) in Elasticsearch's words
SHOULD_MATCH = 0.1  # of the terms, that an answer must have to be "like" the text
CANDIDATES_PER_PLACE = 2  # best-ranked answers re-ranked per place asked for (see ``rerank``)

_porter = snowballstemmer.stemmer("porter")


@lru_cache(maxsize=50_000)
def stem(word):
    """``word`` as SQLite's FTS5 ``porter`` tokenizer indexes it (the same Porter algorithm)."""
    return _porter.stemWord(word)


@dataclass(frozen=True)
class Candidate:
    key: str  # as the engine indexes it: a stem (SQLite) or a lexeme (PostgreSQL)
    word: str  # a form to search for, as the text wrote it
    count: int  # times in the text


@dataclass(frozen=True)
class Term:
    key: str
    word: str
    weight: float
    docs: int


def candidates(text):
    """The words of ``text`` worth weighing, grouped by stem: no stop words, numbers or words under three letters."""
    found = {}
    for word in words(text):
        if not candidate_word(word):
            continue
        key = stem(word)
        count = found[key].count + 1 if key in found else 1
        found[key] = Candidate(key=key, word=found[key].word if key in found else word, count=count)
    return list(found.values())


def minimum_should_match(terms, *, loose=False):
    """How many of ``terms`` words an answer must have: all of one or two (one, if ``loose``: a search of two words
    widened), two of up to twenty, ``SHOULD_MATCH`` of more (rounded down) — Elasticsearch's
    ``minimum_should_match`` of ``ELASTIC_SHOULD_MATCH``."""
    if terms <= 2:
        return 1 if loose else terms
    return max(2, int(terms * SHOULD_MATCH))


def rerank(hits, terms, matched, *, loose=False):
    """The engine's best ``hits`` that have enough of the ``terms`` (``matched``: page id → the numbers of the terms
    it has), best first by the share of the terms' weight they have plus their score relative to the best score.

    The engines' own scores weigh every term alike (PostgreSQL's ``ts_rank`` knows nothing of how rare a word is) or
    by its rarity alone (bm25); this also weighs each by how much the text uses it (measured with
    ``bench/relevance.py``: related questions from the same site 89 → 90 % on SQLite, 87 → 87 % on PostgreSQL).
    """
    enough = minimum_should_match(len(terms), loose=loose)
    kept = [hit for hit in hits if len(matched.get(hit.page_id, ())) >= enough]
    if not kept:
        return []
    whole = sum(term.weight for term in terms) or 1.0
    best = max(hit.score for hit in kept) or 1.0

    def score(hit):
        return sum(terms[number].weight for number in matched[hit.page_id]) / whole + hit.score / best

    return sorted(kept, key=lambda hit: (-score(hit), hit.page_id))


def keys(*texts):
    """The distinct stems of the words in ``texts`` that could be candidates: what an answer is counted under in the
    count of answers having each word (SQLite; PostgreSQL counts its own lexemes)."""
    return {stem(word) for text in texts for word in words(text) if candidate_word(word)}


def candidate_word(word):
    return len(word) >= MIN_LENGTH and word not in STOP_WORDS and not word.isdigit()


def idf(docs, total):
    """bm25's inverse document frequency (never negative)."""
    return math.log(1 + (total - docs + 0.5) / (docs + 0.5))


def choose(found, doc_freqs, total, *, limit=MAX_TERMS, budget=POSTINGS_BUDGET, max_share=MAX_SHARE):
    """The terms to search for, best first: ``found`` (``Candidate``s) weighed by ``(1 + ln count) × idf`` with
    ``doc_freqs`` (key → number of indexed answers that have it) out of ``total`` answers."""
    total = max(total, *doc_freqs.values(), 1)  # an estimate of the total may lag behind the counts
    terms = []
    for candidate in found:
        docs = doc_freqs.get(candidate.key, 0)
        if docs > 0:  # a word no answer has cannot match
            weight = (1 + math.log(candidate.count)) * idf(docs, total)
            terms.append(Term(key=candidate.key, word=candidate.word, weight=weight, docs=docs))
    terms.sort(key=lambda term: (-term.weight, term.key))
    ceiling = max(MIN_CEILING, int(total * max_share))
    distinctive = [term for term in terms if term.docs <= ceiling]
    if not distinctive:  # only common words: search for the rarest
        return sorted(terms, key=lambda term: (term.docs, term.key))[:1]
    chosen, postings = [], 0
    for term in distinctive:
        if len(chosen) == limit:
            break
        if postings + term.docs <= budget:
            chosen.append(term)
            postings += term.docs
    if not chosen:  # every distinctive word alone would pass the budget: the rarest
        return sorted(distinctive, key=lambda term: (term.docs, term.key))[:1]
    return chosen
