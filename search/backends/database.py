"""The search engine on the database the site already has: SQLite FTS5 or PostgreSQL full-text search.

Documents live in two tables keyed by page id (``search/models.py``): ``qa_search_entry``, narrow, with
everything a result is filtered and faceted by, and ``qa_search_text`` with the plain text. Access filtering
and facets never join Wagtail's page tables.

- **SQLite**: an FTS5 table over ``qa_search_text`` (external content; porter stemming over unicode61)
  indexes the title, question and answer, and a ``tags`` column of tokens for what a row is filtered by
  (``zqpublic``/``zqnetwork``, ``zqn<network>``, ``zqt<topic>``, ``zqx<expert>``, ``zqy<year>``), so that
  counting what a reader may see is a merge of the index's own lists, never a lookup per row. Ranking is
  bm25 weighted title 4, question 2, answer 1 (tags 0), a page's titles holding every word first. Facets read, per
  match, one small integer from a narrow table keyed by the rowid (``qa_search_facet``: the number of its (topic,
  expert, year) in ``qa_search_facet_group``), not the wide entry row.
- **PostgreSQL**: ``qa_search_entry.document`` holds a weighted ``tsvector`` (English; title A, question B,
  answer C) behind a GIN index, ranked with ``ts_rank_cd``; only the rows shown get ``ts_headline``. Reads
  are planned as GIN bitmap scans (``_Postgres.reading``). Every vector also holds the lexeme ``#``, which no text
  makes, so that "the answers without these words" is a query the index answers: a word most answers have gets its
  total and facets from the answers without it, less the counts kept per facet group (``qa_search_facet_count``).

**Ranking window.** Scoring a match costs microseconds; a word in almost every one of 100,000 answers costs
a sixth of a second (SQLite) to half a second (PostgreSQL) to rank in full. So a search first counts the
matches the reader may see and finds the page id of the ``RANK_WINDOW``-th newest (page ids grow as answers
are published); when there are more, only those newest matches are scored and the older ones follow them,
newest first; the total and the facets still count every match. With fewer matches than the window — most
searches — the ranking is exact. The window is as deep as the results page goes (100 pages of 10).

A search is two to four queries however large the index. On SQLite: one pass over the matches for the facets and
the total (without facets, the count) — for a word most answers have, a pass over the answers *without* it, less the
counts kept per facet group (``qa_search_facet_count``), which the counts of answers per word decide on —, a walk of
the newest ``RANK_WINDOW`` ids for the window's start when there are more matches than that, and the ranked page
with its highlights. On PostgreSQL: the count with the window's
start, the facets (a second pass: see ``_Postgres.facets_total_and_window``), the ranked page, and the statements
that set its planner up. Queries are built from the words of what was typed (``search.text``), each a quoted string or
a parameter, so nothing a person types is ever full-text syntax. Several words must all match; when together they match
nothing, any of them may; when one or two answers, those are followed by up to ``WIDEN_MORE`` answers like the query
(``Results.relaxed``). A sector term in any of its forms
(``VAT``, ``value added tax``: ``search.text.SECTOR_SYNONYMS``, shared with Elasticsearch) is one term matched by any
form, each as a phrase.

**Answers like a text** (related questions, suggestions while asking, likely duplicates): its distinctive words
(``search.more_like_this``: tf-idf with the counts of answers per word kept in ``qa_search_term``), any of which may
match; every answer that has one is ranked (no window), and the best are re-ranked by the weight of the words they
have, those with too few of them dropped.
"""

import re
import time
from collections import Counter
from contextlib import contextmanager, nullcontext
from itertools import islice

from django.db import connection, transaction

from search import more_like_this
from search.models import FacetCount, IndexEntry, IndexFacet, IndexTerm, IndexText
from search.text import CLOSE, OPEN, clean_text, marked_html, query_terms, words

from .base import WIDEN_BELOW, WIDEN_MORE, Audience, FacetValue, Filters, Hit, Results, SearchBackend, SearchDocument

RANK_WINDOW = 1000
LIKE_SHORTLIST = 50  # PostgreSQL: answers like a text ranked with their vectors (_Postgres.more_like)
# PostgreSQL: the matches the words chosen for "more like this" may have together (more_like_this.POSTINGS_BUDGET is
# SQLite's). A heap row is read for each, then the shortlist's vectors: at 100,000 answers 6,000 matches took 14 ms
# (22 at worst), 3,000 took 7 (12).
LIKE_POSTINGS_BUDGET = 3_000
TERM_COUNT_LOCK = 0x51A5  # PostgreSQL advisory lock: one writer of qa_search_term at a time
# SQLite: when the reader may see at least this many answers and more than half of them match, the facets are
# counted from the answers that do not match (_SQLite.facet_groups).
COMPLEMENT_FROM = 5_000
WALK_AT_MOST = 20_000  # PostgreSQL: entries a walk to the window's start may read (_Postgres.window_start)
SNIPPET_WORDS = 32
WRITE_BATCH = 500
NO_FILTERS = Filters()


def _chunks(iterable, size):
    iterator = iter(iterable)
    while batch := list(islice(iterator, size)):
        yield batch


def _placeholders(values):
    return ", ".join(["%s"] * len(values))


def _conditions(audience: Audience, filters: Filters, *, row="e", group="e"):
    """SQL conditions (a list) and their parameters for who may see an answer and the chosen filters: the
    visibility and network are columns of ``row``, the expert, topic and year columns of ``group`` (one table for
    the index, ``qa_search_entry``; the counts table and its facet group for the counts kept)."""
    clauses, params = [], []
    if not audience.everything:
        visible = [f"{row}.visibility = %s"]
        params.append("public")
        if audience.network_ids:
            ids = sorted(audience.network_ids)
            visible.append(f"({row}.visibility = %s AND {row}.network_id IN ({_placeholders(ids)}))")
            params += ["network", *ids]
        if audience.expert_id:
            visible.append(f"({row}.visibility = %s AND {group}.expert_id = %s)")
            params += ["network", audience.expert_id]
        clauses.append("(" + " OR ".join(visible) + ")")
    for column in ("topic_id", "expert_id", "year"):
        value = getattr(filters, column)
        if value is not None:
            clauses.append(f"{group}.{column} = %s")
            params.append(value)
    return clauses, params


def _where(audience: Audience, filters: Filters, *, exclude_page_ids=()):
    """SQL conditions on ``e`` (``qa_search_entry``) for who may see a row and the chosen filters."""
    clauses, params = _conditions(audience, filters)
    if exclude_page_ids:
        clauses.append(f"e.page_id NOT IN ({_placeholders(exclude_page_ids)})")
        params += list(exclude_page_ids)
    return "".join(f" AND {clause}" for clause in clauses), params


def _seen(ask):
    """SQL for (gid, n): the answers the reader may see with the chosen filters, per facet group, from the counts
    kept in ``qa_search_facet_count`` (by the same rule as ``_where``)."""
    clauses, params = _conditions(ask.audience, ask.filters, row="c", group="g")
    where = " WHERE " + " AND ".join(clauses) if clauses else ""
    sql = (
        "SELECT c.group_id AS gid, SUM(c.docs) AS n FROM qa_search_facet_count c "
        f"JOIN qa_search_facet_group g ON g.id = c.group_id{where} GROUP BY c.group_id"
    )
    return sql, params


def _from_the_rest(cursor, seen, seen_params, missed, missed_params):
    """Facet groups counted as the answers the reader may see (``seen``: gid, n) less those that do not match
    (``missed``: gid, n), in one statement (so from one state of the index), labelled from one answer of each."""
    cursor.execute(
        f"""
        WITH seen AS MATERIALIZED ({seen}), missed AS MATERIALIZED ({missed})
        SELECT NULLIF(g.topic_id, 0), e.topic_title, NULLIF(g.expert_id, 0), e.expert_name, g.year,
               s.n - COALESCE(m.n, 0)
        FROM seen s
        JOIN qa_search_facet_group g ON g.id = s.gid
        JOIN qa_search_entry e
            ON e.page_id = (SELECT MIN(k.page_id) FROM qa_search_facet k WHERE k.group_id = s.gid)
        LEFT JOIN missed m ON m.gid = s.gid
        WHERE s.n - COALESCE(m.n, 0) > 0
        """,
        [*seen_params, *missed_params],
    )
    return cursor.fetchall()


def _facets(rows):
    """(topic, label, expert, label, year, count) groups → ``Results.facets``: topics and experts most frequent
    first, years newest first."""
    counts = {"topic": {}, "expert": {}, "year": {}}
    labels = {"topic": {}, "expert": {}, "year": {}}
    for topic_id, topic_title, expert_id, expert_name, year, count in rows:
        for name, value, label in (
            ("topic", topic_id, topic_title),
            ("expert", expert_id, expert_name),
            ("year", year, None),
        ):
            if value is not None:
                counts[name][value] = counts[name].get(value, 0) + count
                labels[name][value] = label or str(value)
    facets = {
        name: [FacetValue(value=value, label=labels[name][value], count=count) for value, count in values.items()]
        for name, values in counts.items()
    }
    facets["topic"].sort(key=lambda item: (-item.count, item.label.lower()))
    facets["expert"].sort(key=lambda item: (-item.count, item.label.lower()))
    facets["year"].sort(key=lambda item: -item.value)
    return facets


def _snippet(question, answer):
    """The excerpt to show: the answer's if it has a match, else the question's, else the answer's start."""
    for text in (answer, question):
        if text and OPEN in text:
            return text
    return answer or question or ""


_MARKED = re.compile(r"<mark>(.*?)</mark>")


def _titles_first(hits, ask):
    """``hits`` with those whose title has every term first (in their order): a few words that make up a title are
    better evidence than the same words many times over in a long answer, whatever the field weights say."""
    if len(ask.terms) < 2 or ask.any_word:
        return hits

    def whole_title(hit):
        marked = {more_like_this.stem(word) for found in _MARKED.findall(hit.title_html) for word in words(found)}
        return all(any(all(more_like_this.stem(w) in marked for w in form) for form in term) for term in ask.terms)

    return sorted(hits, key=lambda hit: not whole_title(hit))


def _hit(page_id, score, title, question, answer):
    return Hit(
        page_id=page_id,
        score=float(score),
        title_html=marked_html(title),
        snippet_html=marked_html(_snippet(question, answer)),
    )


class _Ask:
    """One search as the engines take it: terms (all, or any), who reads, filters, a page to leave out.

    ``terms`` are as ``search.text.query_terms`` gives them: each a tuple of alternative forms (a sector term's
    synonyms), each form a tuple of words matched as a phrase.
    """

    def __init__(self, terms, *, any_word, audience, filters=NO_FILTERS, exclude_page_ids=()):
        self.terms = terms
        self.simple = all(len(term) == 1 and len(term[0]) == 1 for term in terms)
        self.words = [word for term in terms for form in term for word in form]
        self.any_word = any_word
        self.audience = audience
        self.filters = filters
        self.where, self.params = _where(audience, filters, exclude_page_ids=exclude_page_ids)
        self.most_match = None  # PostgreSQL: do more than half of the answers match? (asked at most once)


# Weights of title, question, answer, tags. Measured with bench/relevance.py on real questions, against 10/4/1 before:
# the words of an answer find it better (MRR 0.851 → 0.877), and with titles that have every word first
# (_titles_first) the exact title, its rarest and its commonest words do too (0.995 → 0.998, 0.976 → 0.983,
# 0.941 → 0.963).
BM25 = "bm25(4.0, 2.0, 1.0, 0.0)"
# Answers like a text: a whole text's words are weighed, so the title counts for less than when a few words are typed
# (measured with bench/relevance.py: related questions from the same site 86 % with BM25's weights, 89 % with these).
BM25_LIKE = "bm25(3.0, 1.5, 1.0, 0.0)"
TAG = "zq"  # starts every filter token (see _SQLite.tags)
# A word that could be, or stem to, a filter token: searched in the text columns only (a column filter makes FTS5
# read its matches' positions, so only for these). Every other word, "zq…" ones included, is searched as it is.
_LIKE_A_TAG = re.compile(rf"^{TAG}(public|network|[ntxy]\d)", re.IGNORECASE)


def _count_words(cursor, counts):
    """Add ``counts`` (word → answers, negative to take away) to ``qa_search_term``."""
    cursor.executemany(
        "INSERT INTO qa_search_term (term, docs) VALUES (%s, %s) "
        "ON CONFLICT (term) DO UPDATE SET docs = qa_search_term.docs + excluded.docs",
        sorted((term, docs) for term, docs in counts.items() if docs),
    )


def _count_facets(cursor, counts):
    """Add ``counts`` ((facet group, visibility, network or 0) → answers, negative to take away) to
    ``qa_search_facet_count`` (SQLite)."""
    cursor.executemany(
        "INSERT INTO qa_search_facet_count (group_id, visibility, network_id, docs) VALUES (%s, %s, %s, %s) "
        "ON CONFLICT (group_id, visibility, network_id) "
        "DO UPDATE SET docs = qa_search_facet_count.docs + excluded.docs",
        sorted((*key, docs) for key, docs in counts.items() if docs),
    )


def _write_facets(cursor, documents):
    """Number each document's (topic, expert, year) — new ones first —, note it against the page, and count the
    documents in ``qa_search_facet_count``."""
    keys = {doc.page_id: (doc.topic_id or 0, doc.expert_id or 0, doc.published_at.year) for doc in documents}
    wanted = sorted(set(keys.values()))
    cursor.executemany(
        "INSERT INTO qa_search_facet_group (topic_id, expert_id, year) VALUES (%s, %s, %s) "
        "ON CONFLICT (topic_id, expert_id, year) DO NOTHING",
        wanted,
    )
    numbers = {}
    for batch in _chunks(wanted, 300):
        cursor.execute(
            "SELECT topic_id, expert_id, year, id FROM qa_search_facet_group WHERE "
            + " OR ".join(["(topic_id = %s AND expert_id = %s AND year = %s)"] * len(batch)),
            [value for key in batch for value in key],
        )
        numbers.update({(topic, expert, year): number for topic, expert, year, number in cursor.fetchall()})
    cursor.executemany(
        "INSERT INTO qa_search_facet (page_id, group_id) VALUES (%s, %s)",
        [(page_id, numbers[key]) for page_id, key in keys.items()],
    )
    _count_facets(
        cursor, Counter((numbers[keys[doc.page_id]], doc.visibility, doc.network_id or 0) for doc in documents)
    )


def _forget_facets(cursor, page_ids):
    """Take these pages out of the facet tables and their counts (before their entry rows go)."""
    cursor.execute(
        "SELECT k.group_id, e.visibility, COALESCE(e.network_id, 0) FROM qa_search_facet k "
        f"JOIN qa_search_entry e ON e.page_id = k.page_id WHERE k.page_id IN ({_placeholders(page_ids)})",
        page_ids,
    )
    _count_facets(cursor, Counter({key: -docs for key, docs in Counter(cursor.fetchall()).items()}))
    cursor.execute(f"DELETE FROM qa_search_facet WHERE page_id IN ({_placeholders(page_ids)})", page_ids)


def _word_counts(documents, sign=1):
    """How many of ``documents`` (title, question, answer) have each candidate word, and how many there are."""
    counts = Counter()
    for title, question, answer in documents:
        counts.update(more_like_this.keys(title, question, answer))
        counts[more_like_this.TOTAL] += 1
    return Counter({term: sign * docs for term, docs in counts.items()})


def _doc_freqs(cursor, keys):
    """``qa_search_term``'s counts for ``keys`` and, under ``more_like_this.TOTAL``, the number of answers."""
    found = {}
    for batch in _chunks([more_like_this.TOTAL, *keys], 500):
        cursor.execute(f"SELECT term, docs FROM qa_search_term WHERE term IN ({_placeholders(batch)})", batch)
        found.update(cursor.fetchall())
    return found


class _SQLite:
    def __init__(self):
        self.rebuilt_words = Counter()  # a rebuild's word counts, written once at its end

    def reading(self, cursor, *, parallel=True):
        return nullcontext()

    @staticmethod
    def tags(doc: SearchDocument):
        """The filter tokens of a document, e.g. ``zqpublic zqy2025 zqt12 zqx7`` or ``zqnetwork zqn3 …``."""
        tags = [TAG + ("public" if doc.visibility == "public" else "network"), f"{TAG}y{doc.published_at.year}"]
        for prefix, value in (("n", doc.network_id), ("t", doc.topic_id), ("x", doc.expert_id)):
            if value:
                tags.append(f"{TAG}{prefix}{int(value)}")
        return " ".join(tags)

    @staticmethod
    def terms(ask):
        # Each word a quoted FTS5 string: whatever it holds is text, never syntax. No column filter (it would
        # make FTS5 read every match's positions) but for a word that might be taken for a filter token.
        quoted = []
        for term in ask.terms:
            forms = []
            for form in term:  # a quoted string of several words is a phrase
                phrase = '"' + " ".join(form).replace('"', '""') + '"'
                forms.append("{title question answer} : " + phrase if _LIKE_A_TAG.match(form[0]) else phrase)
            quoted.append(forms[0] if len(forms) == 1 else "(" + " OR ".join(forms) + ")")
        quoted = quoted or ['""']
        return "(" + (" OR " if ask.any_word else " AND ").join(quoted) + ")"

    def tagged(self, ask):
        """The terms, the tags the reader may see and the filters' tags (all ints: nothing to quote)."""
        return " AND ".join([self.terms(ask), *self.allowed(ask)])

    @staticmethod
    def allowed(ask):
        """The tags the reader may see and the filters' tags, each a part of an AND."""
        parts = []
        audience, filters = ask.audience, ask.filters
        if not audience.everything:
            allowed = [f"{TAG}public"] + [f"{TAG}n{int(network_id)}" for network_id in sorted(audience.network_ids)]
            if audience.expert_id:
                allowed.append(f"({TAG}network AND {TAG}x{int(audience.expert_id)})")
            parts.append("(" + " OR ".join(allowed) + ")")
        for prefix, value in (("t", filters.topic_id), ("x", filters.expert_id), ("y", filters.year)):
            if value is not None:
                parts.append(f"{TAG}{prefix}{int(value)}")
        return parts

    def total_and_window(self, cursor, ask):
        return self.count_and_window(cursor, ask)

    def count_and_window(self, cursor, ask):
        tagged = self.tagged(ask)
        cursor.execute(
            """
            SELECT (SELECT COUNT(*) FROM qa_search_fts WHERE qa_search_fts MATCH %s),
                   (SELECT rowid FROM qa_search_fts WHERE qa_search_fts MATCH %s
                    ORDER BY rowid DESC LIMIT 1 OFFSET %s)
            """,
            [tagged, tagged, RANK_WINDOW - 1],
        )
        total, window_start = cursor.fetchone()
        return total, window_start or 0

    def window_start(self, cursor, ask):
        """The page id of the ``RANK_WINDOW``-th newest match: a walk of that many ids from the newest."""
        cursor.execute(
            "SELECT rowid FROM qa_search_fts WHERE qa_search_fts MATCH %s ORDER BY rowid DESC LIMIT 1 OFFSET %s",
            [self.tagged(ask), RANK_WINDOW - 1],
        )
        row = cursor.fetchone()
        return row[0] if row else 0

    def hits(self, cursor, ask, window_start, *, offset, limit, older=False, weights=BM25):
        # FTS5 scores the matches in the window (a rowid range it seeks to) and sorts them itself (ORDER BY
        # rank, its weighted bm25 on the terms alone: the tags would cost it a pass over their long lists);
        # each is then checked against who may read it by primary key, until the page is full. Highlights
        # and snippets are computed for the rows returned only.
        join = " CROSS JOIN qa_search_entry e ON e.page_id = f.rowid" if ask.where else ""
        if older:  # past the window: newest first, unscored
            rows, order, rank = "f.rowid < %s", "f.rowid DESC", []
        else:
            rows, order, rank = "f.rank MATCH %s AND f.rowid >= %s", "f.rank", [weights]
        cursor.execute(
            f"""
            SELECT f.rowid, {"0.0" if older else "-f.rank"},
                   highlight(qa_search_fts, 0, %s, %s),
                   snippet(qa_search_fts, 1, %s, %s, '…', {SNIPPET_WORDS}),
                   snippet(qa_search_fts, 2, %s, %s, '…', {SNIPPET_WORDS})
            FROM qa_search_fts f{join}
            WHERE qa_search_fts MATCH %s AND {rows}{ask.where}
            ORDER BY {order} LIMIT %s OFFSET %s
            """,
            [*[OPEN, CLOSE] * 3, self.terms(ask), *rank, window_start, *ask.params, limit, offset],
        )
        return [_hit(*row) for row in cursor.fetchall()]

    def facet_groups(self, cursor, ask):
        """(topic, its label, expert, their label, year, matches) for each facet group the matches fall in.

        Each match's facet group is one small integer in a narrow table keyed by the rowid (``qa_search_facet``):
        grouped by it, then labelled from one match of each group. That is a lookup and a sort per match: at
        100,000 answers a word in 84 % of them took ~45 ms, where walking its matches alone takes ~6. So when the
        reader may see ``COMPLEMENT_FROM`` answers or more (``qa_search_facet_count`` says how many, per group) and
        more than half of them match, the groups are counted from those that do not match, less — in the same
        statement, so from the same state of the index — the counts kept per group."""
        if self._most_answers_match(cursor, ask):
            return self._facet_groups_from_the_rest(cursor, ask)
        cursor.execute(
            """
            SELECT NULLIF(g.topic_id, 0), e.topic_title, NULLIF(g.expert_id, 0), e.expert_name, g.year, x.n
            FROM (
                SELECT k.group_id AS gid, MIN(f.rowid) AS one, COUNT(*) AS n
                FROM qa_search_fts f CROSS JOIN qa_search_facet k ON k.page_id = f.rowid
                WHERE qa_search_fts MATCH %s
                GROUP BY k.group_id
            ) x
            JOIN qa_search_facet_group g ON g.id = x.gid
            JOIN qa_search_entry e ON e.page_id = x.one
            """,
            [self.tagged(ask)],
        )
        return cursor.fetchall()

    def _most_answers_match(self, cursor, ask):
        """Do more than half of the answers match? From the counts of answers per word (``qa_search_term``) when
        they tell (every word one the counts keep), else by counting the matches. Only for an index of
        ``COMPLEMENT_FROM`` answers or more: below that, counting the matches themselves costs little."""
        keys = [more_like_this.stem(word) for word in ask.words] if ask.simple else []
        known = bool(keys) and all(more_like_this.candidate_word(word) for word in ask.words)
        found = _doc_freqs(cursor, keys if known else [])
        total = found.get(more_like_this.TOTAL, 0)
        if total < COMPLEMENT_FROM:
            return False
        if known:
            docs = [found.get(key, 0) for key in keys]
            if ask.any_word:
                at_least, at_most = max(docs), sum(docs)
            else:
                at_least, at_most = sum(docs) - (len(docs) - 1) * total, min(docs)
            if at_least * 2 > total:
                return True
            if at_most * 2 <= total:
                return False
        cursor.execute("SELECT COUNT(*) FROM qa_search_fts WHERE qa_search_fts MATCH %s", [self.tagged(ask)])
        matches = cursor.fetchone()[0]
        cursor.execute(
            f"SELECT COALESCE(SUM(s.n), 0) FROM ({_seen(ask)[0]}) s",
            _seen(ask)[1],
        )
        return matches * 2 > cursor.fetchone()[0]

    def _facet_groups_from_the_rest(self, cursor, ask):
        missed = (
            "SELECT k.group_id AS gid, COUNT(*) AS n "
            "FROM qa_search_fts f CROSS JOIN qa_search_facet k ON k.page_id = f.rowid "
            "WHERE qa_search_fts MATCH %s GROUP BY k.group_id"
        )
        return _from_the_rest(cursor, *_seen(ask), missed, [self.rest(ask)])

    def rest(self, ask):
        """The answers the reader may see, with the filters, that do *not* match the terms."""
        parts = self.allowed(ask) or [f"({TAG}public OR {TAG}network)"]  # every answer has one of these two
        return "(" + " AND ".join(parts) + ") NOT " + self.terms(ask)

    def facets_total_and_window(self, cursor, ask):
        """One pass over the matches for the facet groups and their total; the window's start from the newest."""
        groups = self.facet_groups(cursor, ask)
        total = sum(group[5] for group in groups)
        return groups, total, (self.window_start(cursor, ask) if total > RANK_WINDOW else 0)

    def like_terms(self, cursor, text):
        """The distinctive words of ``text`` (``search.more_like_this``), with the counts ``qa_search_term`` keeps of
        the Porter stems of the words (FTS5's own vocabulary would count a word's answers by reading all of them)."""
        found = more_like_this.candidates(text)
        if not found:
            return []
        doc_freqs = _doc_freqs(cursor, [candidate.key for candidate in found])
        return more_like_this.choose(found, doc_freqs, doc_freqs.pop(more_like_this.TOTAL, 0))

    def more_like(self, cursor, terms, ask, *, limit):
        """Every answer with any of the terms, ranked by bm25 (FTS5 sorts them all itself), the best ``limit``."""
        return self.hits(cursor, ask, 0, offset=0, limit=limit, weights=BM25_LIKE)

    def matched_terms(self, cursor, terms, page_ids):
        """How many of ``terms`` each of these answers has (FTS5 seeks each page in each term's list)."""
        ids = _placeholders(page_ids)
        cursor.execute(
            " UNION ALL ".join(
                [f"SELECT rowid, %s FROM qa_search_fts WHERE qa_search_fts MATCH %s AND rowid IN ({ids})"] * len(terms)
            ),
            [
                value
                for number, term in enumerate(terms)
                for value in (number, '"' + term.word.replace('"', '""') + '"', *page_ids)
            ],
        )
        matched = {}
        for page_id, number in cursor.fetchall():
            matched.setdefault(page_id, set()).add(number)
        return matched

    def write(self, cursor, documents, *, bulk=False):
        _insert_rows(documents, tags=self.tags)
        _write_facets(cursor, documents)
        counts = _word_counts((doc.title, doc.question, doc.answer) for doc in documents)
        if bulk:
            self.rebuilt_words.update(counts)
            return  # the full-text index is built in one pass at the end (finish_rebuild)
        ids = [doc.page_id for doc in documents]
        cursor.execute(
            "INSERT INTO qa_search_fts (rowid, title, question, answer, tags) "
            "SELECT page_id, title, question, answer, tags FROM qa_search_text "
            f"WHERE page_id IN ({_placeholders(ids)})",
            ids,
        )
        _count_words(cursor, counts)

    def delete(self, cursor, page_ids):
        cursor.execute(
            f"SELECT title, question, answer FROM qa_search_text WHERE page_id IN ({_placeholders(page_ids)})", page_ids
        )
        _count_words(cursor, _word_counts(cursor.fetchall(), -1))
        # External content: FTS5 forgets a row when given the values it indexed.
        cursor.execute(
            "INSERT INTO qa_search_fts (qa_search_fts, rowid, title, question, answer, tags) "
            "SELECT 'delete', page_id, title, question, answer, tags FROM qa_search_text "
            f"WHERE page_id IN ({_placeholders(page_ids)})",
            page_ids,
        )
        _forget_facets(cursor, page_ids)
        _delete_rows(page_ids)

    def finish_rebuild(self, cursor):
        _count_words(cursor, self.rebuilt_words)
        cursor.execute("INSERT INTO qa_search_fts (qa_search_fts) VALUES ('rebuild')")
        cursor.execute("INSERT INTO qa_search_fts (qa_search_fts) VALUES ('optimize')")

    def after_rebuild(self, cursor):
        pass


# ts_rank_cd weights for {D, C, B, A}: answer (C) 0.25, question (B) 0.5, title (A) 1: as SQLite's BM25 (4/2/1).
# A lexeme in every entry's vector that no text's words make (the parser drops "#"): the answers *without* some words
# are "this, and not those", which the GIN index answers from its lists alone (a NOT alone it cannot).
_PG_EVERY = "'#'"
_PG_WEIGHTS = "{0.01, 0.25, 0.5, 1}"
_PG_WEIGHTS_LIKE = "{0.1, 0.33, 0.5, 1}"  # answers like a text: title 3, question 1.5, answer 1 (as BM25_LIKE)
_PG_HEADLINE = f"StartSel={OPEN}, StopSel={CLOSE}, HighlightAll=true"
_PG_SNIPPET = (
    f"StartSel={OPEN}, StopSel={CLOSE}, MaxWords={SNIPPET_WORDS}, MinWords=12, ShortWord=2, "
    'MaxFragments=2, FragmentDelimiter=" … "'
)


def _ts_lexeme(lexeme):
    """A lexeme as a ``tsquery`` literal: quoted, so it is matched exactly as indexed (no parsing, no stemming)."""
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


class _Postgres:
    @contextmanager
    def reading(self, cursor, *, parallel=True):
        """Plan every read as GIN bitmap scans. PostgreSQL's planner does not price reading a row's ``tsvector``
        (out of line, in TOAST): for a common word it would rather scan the table, or walk the primary key,
        testing ``@@`` on every row it passes — 10-40x slower than the index. Without ``parallel``, no parallel
        workers either: starting them costs more than the few thousand rows of a "more like this" (8 of its 18
        ms at 100,000 answers). The settings last until the transaction ends; inside a caller's transaction they
        are put back."""
        outer = connection.in_atomic_block
        with transaction.atomic():
            cursor.execute(
                "SELECT current_setting('enable_seqscan'), current_setting('enable_indexscan'), "
                "current_setting('max_parallel_workers_per_gather'), "
                "set_config('enable_seqscan', 'off', true), set_config('enable_indexscan', 'off', true), "
                "set_config('max_parallel_workers_per_gather', "
                "COALESCE(%s, current_setting('max_parallel_workers_per_gather')), true)",
                [None if parallel else "0"],
            )
            seqscan, indexscan, workers, *_ = cursor.fetchone()
            yield
            if outer:
                cursor.execute(
                    "SELECT set_config('enable_seqscan', %s, true), set_config('enable_indexscan', %s, true), "
                    "set_config('max_parallel_workers_per_gather', %s, true)",
                    [seqscan, indexscan, workers],
                )

    @staticmethod
    def tsquery(ask):
        """plainto_tsquery reads each word as plain text (English stemming, stop words); ``||`` is OR, ``&&`` AND.
        A sector term is each of its forms, a phrase (``phraseto_tsquery``), ORed."""
        if ask.simple:
            if ask.any_word:
                return " || ".join(["plainto_tsquery('english', %s)"] * len(ask.words)), list(ask.words)
            return "plainto_tsquery('english', %s)", [" ".join(ask.words)]
        parts, words = [], []
        for term in ask.terms:
            forms = []
            for form in term:
                forms.append("plainto_tsquery('english', %s)" if len(form) == 1 else "phraseto_tsquery('english', %s)")
                words.append(" ".join(form))
            parts.append("(" + " || ".join(forms) + ")")
        return (" || " if ask.any_word else " && ").join(parts), words

    def total_and_window(self, cursor, ask):
        """Without facets: the total and the window's start. For words most answers have, the total from the answers
        without them (as the facets are counted: ``facet_groups``), not from a pass over every match."""
        if self._most_answers_match(cursor, ask):
            _groups, total, window_start = self.facets_total_and_window(cursor, ask)
            return total, window_start
        return self.count_and_window(cursor, ask)

    def count_and_window(self, cursor, ask):
        # One pass over the matches: their number, and the page id RANK_WINDOW places from the newest.
        tsquery, words = self.tsquery(ask)
        cursor.execute(
            f"""
            SELECT COUNT(*), (array_agg(e.page_id ORDER BY e.page_id DESC))[%s]
            FROM qa_search_entry e WHERE e.document @@ ({tsquery}){ask.where}
            """,
            [RANK_WINDOW, *words, *ask.params],
        )
        total, window_start = cursor.fetchone()
        return total, window_start or 0

    def hits(self, cursor, ask, window_start, *, offset, limit, older=False):
        tsquery, words = self.tsquery(ask)
        if older:  # past the window: newest first, unscored
            score, weights, rows, order = "0", [], "e.page_id < %s", "e.page_id DESC"
        else:
            score, weights = "ts_rank_cd(%s::float4[], e.document, q.q)", [_PG_WEIGHTS]
            rows, order = "e.page_id >= %s", "score DESC, e.page_id DESC"
        cursor.execute(
            f"""
            SELECT r.page_id, r.score,
                   ts_headline('english', t.title, r.q, %s),
                   '',
                   ts_headline('english', t.question || E'\n' || t.answer, r.q, %s)
            FROM (
                SELECT e.page_id, {score} AS score, q.q
                FROM (SELECT {tsquery} AS q) q, qa_search_entry e
                WHERE e.document @@ q.q AND {rows}{ask.where}
                ORDER BY {order}
                LIMIT %s OFFSET %s
            ) r JOIN qa_search_text t ON t.page_id = r.page_id
            ORDER BY r.score DESC, r.page_id DESC
            """,
            [_PG_HEADLINE, _PG_SNIPPET, *weights, *words, window_start, *ask.params, limit, offset],
        )
        return [_hit(*row) for row in cursor.fetchall()]

    def facet_groups(self, cursor, ask):
        """(topic, its label, expert, their label, year, matches) for each facet group the matches fall in.

        Grouped by the three numbers alone (no text carried through the aggregate); each group's labels are read
        from one of its matches afterwards, by primary key. Every match's row is read: at 100,000 answers a word in
        84 % of them took ~50 ms. So for a word more than half of the answers have (``qa_search_term`` tells), in an
        index of ``COMPLEMENT_FROM`` answers or more, the groups are counted from the answers the reader may see
        *without* the words, less the counts kept per group (``qa_search_facet_count``), in one statement."""
        if self._most_answers_match(cursor, ask):
            tsquery, words = self.tsquery(ask)
            missed = f"""
                SELECT g.id AS gid, x.n FROM (
                    SELECT e.topic_id, e.expert_id, e.year, COUNT(*) AS n
                    FROM qa_search_entry e WHERE e.document @@ (%s::tsquery && !! ({tsquery})){ask.where}
                    GROUP BY e.topic_id, e.expert_id, e.year
                ) x JOIN qa_search_facet_group g ON g.topic_id = COALESCE(x.topic_id, 0)
                    AND g.expert_id = COALESCE(x.expert_id, 0) AND g.year = x.year
            """
            # Each group's label is read from its first answer by the index on (group, page): index scans on, for
            # this statement (GIN answers the words by bitmap scans whatever this says).
            cursor.execute("SELECT set_config('enable_indexscan', 'on', true)")
            try:
                return _from_the_rest(cursor, *_seen(ask), missed, [_PG_EVERY, *words, *ask.params])
            finally:
                cursor.execute("SELECT set_config('enable_indexscan', 'off', true)")
        tsquery, words = self.tsquery(ask)
        cursor.execute(
            f"""
            SELECT x.topic_id, l.topic_title, x.expert_id, l.expert_name, x.year, x.n
            FROM (
                SELECT e.topic_id, e.expert_id, e.year, MIN(e.page_id) AS one, COUNT(*) AS n
                FROM qa_search_entry e WHERE e.document @@ ({tsquery}){ask.where}
                GROUP BY e.topic_id, e.expert_id, e.year
            ) x JOIN qa_search_entry l ON l.page_id = x.one
            """,
            [*words, *ask.params],
        )
        return cursor.fetchall()

    def _most_answers_match(self, cursor, ask):
        """Do more than half of the answers have the words? From the counts of answers per lexeme; False when
        they cannot tell (a sector term, a word of several lexemes) or the index is small. Asked once a search."""
        if ask.most_match is None:
            ask.most_match = self._ask_whether_most_answers_match(cursor, ask)
        return ask.most_match

    @staticmethod
    def _ask_whether_most_answers_match(cursor, ask):
        if not ask.simple:
            return False
        cursor.execute(
            """
            SELECT (SELECT array_agg(COALESCE(t.docs, 0))
                    FROM unnest(tsvector_to_array(to_tsvector('english', w.word))) l
                    LEFT JOIN qa_search_term t ON t.term = l),
                   (SELECT docs FROM qa_search_term WHERE term = %s)
            FROM unnest(%s::text[]) w(word)
            """,
            [more_like_this.TOTAL, list(ask.words)],
        )
        rows = cursor.fetchall()
        total = rows[0][1] if rows else None
        if not total or total < COMPLEMENT_FROM:
            return False
        docs = []
        for lexemes, _total in rows:
            if lexemes is None:  # a stop word: not in the query
                continue
            if len(lexemes) != 1:
                return False
            docs.append(lexemes[0])
        if not docs:
            return False
        at_least = max(docs) if ask.any_word else sum(docs) - (len(docs) - 1) * total
        return at_least * 2 > total

    _entry_estimate = None  # (entries, until when)

    def _entries(self, cursor):
        """About how many entries the index holds (the planner's own figure), read at most once a minute."""
        now = time.monotonic()
        if _Postgres._entry_estimate is None or _Postgres._entry_estimate[1] < now:
            cursor.execute("SELECT reltuples FROM pg_class WHERE oid = 'qa_search_entry'::regclass")
            row = cursor.fetchone()
            _Postgres._entry_estimate = (max(float(row[0]) if row else 0.0, 0.0), now + 60)
        return _Postgres._entry_estimate[0]

    def window_start(self, cursor, ask, total):
        """The page id of the ``RANK_WINDOW``-th newest of ``total`` matches (0 when there are no more).

        When matches are dense — a common word — walking the primary key from the newest, testing each entry,
        reads about ``RANK_WINDOW × entries ÷ total`` rows: a few thousand, where a bitmap scan reads every match.
        When they are sparse the bitmap scan is the cheaper, so the walk is taken for the dense only."""
        if total <= RANK_WINDOW:
            return 0
        if RANK_WINDOW * self._entries(cursor) / total > WALK_AT_MOST:
            return self.count_and_window(cursor, ask)[1]
        tsquery, words = self.tsquery(ask)
        cursor.execute(
            "SELECT set_config('enable_indexscan', 'on', true), set_config('enable_bitmapscan', 'off', true)"
        )
        try:
            cursor.execute(
                f"""
                SELECT e.page_id FROM qa_search_entry e WHERE e.document @@ ({tsquery}){ask.where}
                ORDER BY e.page_id DESC LIMIT 1 OFFSET %s
                """,
                [*words, *ask.params, RANK_WINDOW - 1],
            )
            row = cursor.fetchone()
        finally:
            cursor.execute(
                "SELECT set_config('enable_indexscan', 'off', true), set_config('enable_bitmapscan', 'on', true)"
            )
        return row[0] if row else 0

    def facets_total_and_window(self, cursor, ask):
        """One pass over the matches for the facet groups and their total; the window's start apart (see
        ``window_start``). Before, the count and the facets were two passes over every match (40 + 62 ms at
        100,000 answers for a word in 84 % of them); grouping by facet and by the whole at once (GROUPING SETS)
        measured 181 ms."""
        groups = self.facet_groups(cursor, ask)
        total = sum(group[5] for group in groups)
        return groups, total, self.window_start(cursor, ask, total)

    def like_terms(self, cursor, text):
        """The distinctive lexemes of ``text`` (``search.more_like_this``), with the counts ``qa_search_term`` keeps."""
        cursor.execute(
            """
            SELECT s.lexeme, COALESCE(array_length(s.positions, 1), 1), COALESCE(t.docs, 0)
            FROM unnest(to_tsvector('english', %s)) s LEFT JOIN qa_search_term t ON t.term = s.lexeme
            UNION ALL SELECT term, 0, docs FROM qa_search_term WHERE term = %s
            """,
            [" ".join(words(text)), more_like_this.TOTAL],  # the words alone: no NUL, nothing but text
        )
        rows = cursor.fetchall()
        found = [
            more_like_this.Candidate(key=lexeme, word=lexeme, count=count)
            for lexeme, count, _ in rows
            if len(lexeme) >= more_like_this.MIN_LENGTH and not lexeme.isdigit()
        ]
        doc_freqs = {lexeme: docs for lexeme, _, docs in rows}
        total = doc_freqs.pop(more_like_this.TOTAL, 0)
        return more_like_this.choose(found, doc_freqs, total, budget=LIKE_POSTINGS_BUDGET)

    def more_like(self, cursor, terms, ask, *, limit):
        """The best ``limit`` entries with any of the lexemes, in two steps. Every entry that has one is scored by
        the weights of the lexemes it has, read from the index alone (a GIN scan per lexeme: no vector is read);
        the best ``LIKE_SHORTLIST`` of those are ranked (``ts_rank``, weighted by field, divided by the log of the
        length), which reads their vectors. Ranking every match with ``ts_rank`` took 48 ms for 5,000 matches, this
        22 (and 14 without parallel workers: see ``reading``)."""
        shortlist = " UNION ALL ".join(
            [f"SELECT e.page_id, %s::float8 AS w FROM qa_search_entry e WHERE e.document @@ %s::tsquery{ask.where}"]
            * len(terms)
        )
        cursor.execute(
            f"""
            SELECT r.page_id, r.score, t.title, '', left(t.question, 300)
            FROM (
                SELECT e.page_id, ts_rank(%s::float4[], e.document, %s::tsquery, 1) AS score
                FROM (
                    SELECT page_id FROM ({shortlist}) m GROUP BY page_id ORDER BY SUM(w) DESC, page_id DESC LIMIT %s
                ) s JOIN qa_search_entry e ON e.page_id = s.page_id
                ORDER BY score DESC, e.page_id DESC
                LIMIT %s
            ) r JOIN qa_search_text t ON t.page_id = r.page_id
            ORDER BY r.score DESC, r.page_id DESC
            """,
            [
                _PG_WEIGHTS_LIKE,
                " | ".join(_ts_lexeme(term.key) for term in terms),
                *(value for term in terms for value in (term.weight, _ts_lexeme(term.key), *ask.params)),
                LIKE_SHORTLIST,
                limit,
            ],
        )
        return [_hit(*row) for row in cursor.fetchall()]

    def matched_terms(self, cursor, terms, page_ids):
        """How many of ``terms`` each of these entries has."""
        cursor.execute(
            "SELECT page_id, "
            + ", ".join(["document @@ %s::tsquery"] * len(terms))
            + f" FROM qa_search_entry WHERE page_id IN ({_placeholders(page_ids)})",
            [*(_ts_lexeme(term.key) for term in terms), *page_ids],
        )
        return {row[0]: {number for number, found in enumerate(row[1:]) if found} for row in cursor.fetchall()}

    @staticmethod
    def count_terms(cursor, page_ids, sign):
        """Add (``sign`` 1) or take away (-1) the lexemes of these entries in ``qa_search_term``. Writers take turns
        (a transaction-long advisory lock), so two publications counting the same words never deadlock."""
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [TERM_COUNT_LOCK])
        cursor.execute(
            f"""
            INSERT INTO qa_search_term (term, docs)
            SELECT u.lexeme, %s * COUNT(*) FROM qa_search_entry e, unnest(e.document) u
            WHERE e.page_id IN ({_placeholders(page_ids)}) GROUP BY u.lexeme
            UNION ALL SELECT %s, %s * COUNT(*) FROM qa_search_entry WHERE page_id IN ({_placeholders(page_ids)})
            ON CONFLICT (term) DO UPDATE SET docs = qa_search_term.docs + EXCLUDED.docs
            """,
            [sign, *page_ids, more_like_this.TOTAL, sign, *page_ids],
        )

    def write(self, cursor, documents, *, bulk=False):
        # Each entry row is written once, with its vector (an UPDATE afterwards would leave a dead copy of
        # every row behind, doubling what searches read until VACUUM).
        _insert_rows(documents, entries=False)
        fields = list(IndexEntry._meta.concrete_fields)
        columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
        cursor.executemany(
            f"""
            INSERT INTO qa_search_entry ({columns}, document)
            VALUES ({_placeholders(fields)},
                setweight(to_tsvector('english', %s), 'A')
                || setweight(to_tsvector('english', %s), 'B')
                || setweight(to_tsvector('english', %s), 'C')
                || %s::tsvector)
            """,
            [
                [
                    *(field.get_db_prep_save(getattr(entry, field.attname), connection) for field in fields),
                    clean_text(doc.title),
                    clean_text(doc.question),
                    clean_text(doc.answer),
                    _PG_EVERY,
                ]
                for doc, entry in ((doc, _entry(doc)) for doc in documents)
            ],
        )
        _write_facets(cursor, documents)
        self.count_terms(cursor, [doc.page_id for doc in documents], 1)

    def delete(self, cursor, page_ids):
        self.count_terms(cursor, page_ids, -1)
        _forget_facets(cursor, page_ids)
        _delete_rows(page_ids)

    def finish_rebuild(self, cursor):
        cursor.execute("ANALYZE qa_search_entry")

    def after_rebuild(self, cursor):
        # The rebuild left a dead copy of every old row: reclaim it now rather than when autovacuum comes by.
        if not connection.in_atomic_block:
            cursor.execute("VACUUM ANALYZE qa_search_entry, qa_search_text")


def _entry(doc: SearchDocument):
    return IndexEntry(
        page_id=doc.page_id,
        visibility=doc.visibility,
        network_id=doc.network_id,
        topic_id=doc.topic_id,
        expert_id=doc.expert_id,
        year=doc.published_at.year,
        published_at=doc.published_at,
        topic_title=doc.topic_title[:255],
        expert_name=doc.expert_name[:255],
        url_path=doc.url_path[:1000],
    )


def _insert_rows(documents, *, tags=None, entries=True):
    """The text rows (with their SQLite tags), and the entry rows unless the caller writes them itself."""
    IndexText.objects.bulk_create(
        [
            IndexText(
                page_id=doc.page_id,
                title=clean_text(doc.title),
                question=clean_text(doc.question),
                answer=clean_text(doc.answer),
                tags=tags(doc) if tags else "",
            )
            for doc in documents
        ]
    )
    if entries:
        IndexEntry.objects.bulk_create([_entry(doc) for doc in documents])


def _delete_rows(page_ids):
    IndexText.objects.filter(page_id__in=page_ids).delete()
    IndexEntry.objects.filter(page_id__in=page_ids).delete()


def _unique(documents):
    """The last document given for each page (a batch may name a page twice)."""
    return list({doc.page_id: doc for doc in documents}.values())


class DatabaseBackend(SearchBackend):
    name = "database"

    @property
    def vendor(self):
        return _Postgres() if connection.vendor == "postgresql" else _SQLite()

    # --- writing ------------------------------------------------------------------------------------------

    def index(self, documents: list[SearchDocument]) -> None:
        vendor = self.vendor
        for batch in _chunks(_unique(documents), WRITE_BATCH):
            with transaction.atomic(), connection.cursor() as cursor:
                vendor.delete(cursor, [doc.page_id for doc in batch])
                vendor.write(cursor, batch)

    def remove(self, page_ids: list[int]) -> None:
        vendor = self.vendor
        for batch in _chunks(sorted(set(page_ids)), WRITE_BATCH):
            with transaction.atomic(), connection.cursor() as cursor:
                vendor.delete(cursor, batch)

    def rebuild(self, documents) -> int:
        """Replace the whole index in one transaction: searches carry on reading the old one until it commits."""
        vendor = self.vendor
        count, seen = 0, set()
        with transaction.atomic(), connection.cursor() as cursor:
            IndexText.objects.all().delete()
            IndexEntry.objects.all().delete()
            IndexFacet.objects.all().delete()
            FacetCount.objects.all().delete()
            IndexTerm.objects.all().delete()
            for batch in _chunks(documents, WRITE_BATCH):
                batch = [doc for doc in _unique(batch) if doc.page_id not in seen]
                seen.update(doc.page_id for doc in batch)
                vendor.write(cursor, batch, bulk=True)
                count += len(batch)
            vendor.finish_rebuild(cursor)
        with connection.cursor() as cursor:
            vendor.after_rebuild(cursor)
        return count

    # --- reading ------------------------------------------------------------------------------------------

    def search(
        self,
        query: str,
        *,
        audience: Audience,
        filters: Filters = NO_FILTERS,
        offset: int = 0,
        limit: int = 10,
        facets: bool = True,
    ) -> Results:
        terms = query_terms(query)
        if not terms:
            return Results(hits=[], total=0, facets=_facets([]) if facets else {})
        ask = _Ask(terms, any_word=False, audience=audience, filters=filters)
        offset = max(offset, 0)
        paging = {"offset": offset, "limit": limit, "facets": facets}
        results = self._search(ask, **paging)
        if results.total == 0 and len(terms) > 1:  # no answer has every word: any of them will do
            results = self._search(_Ask(terms, any_word=True, audience=audience, filters=filters), **paging)
            results.relaxed = results.total > 0
            results.with_every_word = 0
        elif results.total < WIDEN_BELOW and len(terms) > 1:
            # One or two answers have every word: those first, then up to WIDEN_MORE like the query (its
            # distinctive words, enough of which must match: "more like this", whose cost is bounded however
            # common the words are).
            every = results.hits if offset == 0 and limit >= results.total else self._every(ask)
            more = self._like(
                query,
                audience=audience,
                filters=filters,
                limit=WIDEN_MORE,
                exclude_page_ids=tuple(hit.page_id for hit in every),
                loose=True,
            )
            listed = every + more
            results = Results(hits=listed[offset : offset + limit], total=len(listed))
            if facets:
                results.facets = self._facets_of([hit.page_id for hit in listed])
            results.relaxed = bool(more)
            results.with_every_word = len(every)
        return results

    @staticmethod
    def _facets_of(page_ids):
        if not page_ids:
            return _facets([])
        rows = IndexEntry.objects.filter(page_id__in=page_ids).values_list(
            "topic_id", "topic_title", "expert_id", "expert_name", "year"
        )
        return _facets([(*row, 1) for row in rows])

    def _every(self, ask):
        return self._search(ask, offset=0, limit=WIDEN_BELOW, facets=False).hits

    def _search(self, ask, *, offset, limit, facets):
        vendor = self.vendor
        with connection.cursor() as cursor, vendor.reading(cursor):
            if facets:  # one pass over the matches gives the facets and the total
                groups, total, window_start = vendor.facets_total_and_window(cursor, ask)
            else:
                total, window_start = vendor.total_and_window(cursor, ask)
            if total == 0:
                return Results(hits=[], total=0, facets=_facets([]) if facets else {})
            in_window = min(total, RANK_WINDOW)  # the window holds exactly this many matches the reader may see
            hits = []
            if offset < in_window and limit > 0:
                hits = vendor.hits(cursor, ask, window_start, offset=offset, limit=min(limit, in_window - offset))
            if len(hits) < limit and in_window < total and offset + len(hits) < total:
                # A page past the window: the older matches follow, newest first.
                hits += vendor.hits(
                    cursor, ask, window_start, offset=max(0, offset - in_window), limit=limit - len(hits), older=True
                )
            results = Results(hits=_titles_first(hits, ask), total=total)
            if facets:
                results.facets = _facets(groups)
            return results

    def similar(
        self, text: str, *, audience: Audience, limit: int = 5, exclude_page_id: int | None = None
    ) -> list[Hit]:
        """Answers like ``text``, best first: its distinctive words (``search.more_like_this``), any of which may
        match, every answer that has one ranked; of the best, those that have enough of the words, re-ranked."""
        exclude = () if exclude_page_id is None else (exclude_page_id,)
        return self._like(text, audience=audience, filters=NO_FILTERS, limit=limit, exclude_page_ids=exclude)

    def _like(self, text, *, audience, filters, limit, exclude_page_ids, loose=False):
        vendor = self.vendor
        with connection.cursor() as cursor, vendor.reading(cursor, parallel=False):
            terms = vendor.like_terms(cursor, text)
            if not terms or limit <= 0:
                return []
            ask = _Ask(
                [((term.word,),) for term in terms],
                any_word=True,
                audience=audience,
                filters=filters,
                exclude_page_ids=exclude_page_ids,
            )
            hits = vendor.more_like(cursor, terms, ask, limit=limit * more_like_this.CANDIDATES_PER_PLACE)
            if not hits:
                return []
            matched = vendor.matched_terms(cursor, terms, [hit.page_id for hit in hits])
            return more_like_this.rerank(hits, terms, matched, loose=loose)[:limit]
