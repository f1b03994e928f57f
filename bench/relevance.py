"""How well the search engine finds the right answer, on real Stack Exchange questions, against a plain BM25.

Imports real Stack Exchange data dumps with the product's own importer (``manage.py import_stackexchange``, one
``--site`` per dump) into a scratch database — never the development one — and asks each engine about questions
whose right answer is known. By default the four dumps in ``../shared/data/stackexchange/*/Posts.xml`` (coffee,
beer, matheducators, datascience meta: about 1,400 answered questions on subjects that do not overlap); more
``Posts.xml`` files or folders may be named on the command line. Each imported page credits its site and original
question (``QuestionPage.source_name`` / ``source_url``, the importer's attribution): that is how a page is known
to come from one site or another.

Engines: the product's engine as configured (``search.backends.get_backend()``: the database engine on the
SQLite or PostgreSQL database the settings point at), and a **BM25 reference** computed in this run on the same
text (the documents every engine indexes, ``search.documents``): k1 = 1.2, b = 0.75, one field (title, question
and answer), lower-case ``\\w+`` tokens without English stop words, Snowball English stems when
``snowballstemmer`` can be imported (no stemming otherwise). With ``--elastic-url``, the product's Elasticsearch
engine on that cluster too (indexed afresh); with ``--elastic-stand-in``, the same engine on osmem-server, the
in-memory stand-in the tests use (whose scoring is its own). Anything with the engines' ``search(query,
audience=…)`` and ``similar(text, audience=…, limit=…, exclude_page_id=…)`` can be measured the same way. Every
call is made for an audience that sees everything (``Audience(everything=True)``).

Over ``--questions`` questions (default 200) sampled with ``--seed`` (default 7) from the imported questions, the
right result being the question itself:

- **search** (top 10, without facets): MRR@10, recall@1 and recall@10 for queries made of (a) the exact title,
  (b) the title's 3 rarest words by document frequency, (c) 3 words of the answer picked at random (preferring
  words not in the title), (d) the title's 3 commonest words. Query words are the question's own words of three
  or more letters, not stop words or numbers, one per stem;
- **related questions** (as an answer page lists them: ``similar(title + " " + question, limit=5,
  exclude_page_id=…)``): the share of the returned questions that come from the same site, and how many come back
  ("none": calls that found nothing; "itself back": calls that returned the excluded question anyway, which is
  then left out, as the answer page does);
  "chance" is the share five questions picked at random would have;
- **similar while asking** (``/ask/``: ``similar(text, limit=5)``): recall@5 of the question itself when its
  title is typed, and when the first 30 words of its question are typed; and, with the question itself excluded,
  the same-site share of what the typed 30 words find;
- p50 / p95 milliseconds of each kind of call (the BM25 reference is plain Python: its times are for scale only).

``--timing-size N`` (default 0: skipped) also grows a second scratch database to N generated answers with
``bench/generate_qa.py`` (seed 0, as ``bench/search.py`` grows its own) and times ``similar()`` there over
``--runs`` calls (default 100): related questions for random answers, their titles typed, and the first 30 words
of their questions typed.

Plain-text tables are printed, then the figures as Markdown for docs/performance.md. Progress goes to stderr.

    .venv/bin/python bench/relevance.py                      # SQLite: var/bench/relevance.sqlite3
    .venv/bin/python bench/relevance.py --reuse              # keep what is already imported
    .venv/bin/python bench/relevance.py --database-url postgres://postgres@127.0.0.1:5432/qa_bench_relevance
    .venv/bin/python bench/relevance.py --timing-size 100000 # + similar() timed at 100,000 generated answers
    .venv/bin/python bench/relevance.py path/to/other/Posts.xml path/to/dump-folder=site.stackexchange.com
    .venv/bin/python bench/relevance.py --elastic-url http://localhost:9200   # + Elasticsearch, where there is one

Data: Stack Exchange data dumps by Stack Exchange, Inc.; user contributions licensed under CC BY-SA (3.0 or 4.0 by
the date of each post, https://creativecommons.org/licenses/by-sa/4.0/). Imported pages credit the site, the
original question (``https://<site>/q/<Id>``) and the authors where known; keep that credit with any copy of
the figures' examples.
"""

import argparse
import hashlib
import io
import json
import logging
import math
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from heapq import nsmallest
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import generate_qa  # noqa: E402  (no Django needed to import it)
from bench.search import percentile, timed  # noqa: E402

DATA_DIR = ROOT.parent / "shared" / "data" / "stackexchange"
DEFAULT_DATABASE_URL = f"sqlite:///{ROOT / 'var' / 'bench' / 'relevance.sqlite3'}"
# Dump folders whose site is not simply <folder>.stackexchange.com.
KNOWN_SITES = {"datascience-meta": "datascience.meta.stackexchange.com"}
LICENCE_NOTE = (
    "Stack Exchange data dumps (Stack Exchange, Inc.), user contributions CC BY-SA 3.0/4.0 "
    "(https://creativecommons.org/licenses/by-sa/4.0/); each imported page credits its site, original question "
    "and authors"
)
SEARCH_LIMIT = 10
SIMILAR_LIMIT = 5
TYPED_WORDS = 30
QUERY_WORDS = 3
GENERATION_SEED = 0  # the timing database holds the same answers as bench/search.py's

# English stop words for the BM25 reference and for choosing query words (kept here, not taken from the engine,
# so that the reference does not move when the engine does).
STOP_WORDS = frozenset(
    """a about above after again against all almost also although always am among an and another any anyone
    anything are around as at be because been before being below between both but by can cannot could did do
    does doing done down during each either else enough etc even ever every few for from further get gets getting
    got had has have having he her here hers herself him himself his how however i if in into is it its itself
    just least less let like made make makes many may me might more most much must my myself neither no nor not
    now of off often on once one only or other others otherwise our ours ourselves out over own per perhaps
    quite rather really said same say says see seem seems several shall she should since so some something
    still such than that the their theirs them themselves then there therefore these they this those though
    through thus to too under until up upon us use used using very via was way we well were what whatever when
    where whether which while who whom whose why will with within without would yes yet you your yours yourself
    yourselves
    aren couldn d didn doesn don hadn hasn haven isn ll m re s shouldn t ve wasn weren won wouldn""".split()  # noqa: SIM905
)
_TOKEN = re.compile(r"\w+")


def _stemmer():
    """Snowball's English stemmer (cached per word), or no stemming when snowballstemmer is not installed."""
    try:
        import snowballstemmer
    except ImportError:
        return (lambda word: word), "none (snowballstemmer is not installed)"
    stemmer, cache = snowballstemmer.stemmer("english"), {}

    def stem(word):
        stemmed = cache.get(word)
        if stemmed is None:
            stemmed = cache[word] = stemmer.stemWord(word)
        return stemmed

    return stem, "Snowball English"


STEM, STEMMER_NAME = _stemmer()


def content_words(text):
    """The words of ``text``, lower-case, in order, without stop words (not stemmed)."""
    return [word for word in _TOKEN.findall((text or "").lower()) if word not in STOP_WORDS]


def terms(text):
    """What the BM25 reference indexes and looks for: the stems of ``text``'s content words."""
    return [STEM(word) for word in content_words(text)]


def query_candidates(text):
    """Distinct words of ``text`` worth putting in a query (three letters or more, not a number), one per stem,
    in order of first appearance: [(word, stem)]."""
    seen, found = set(), []
    for word in content_words(text):
        if len(word) < 3 or word.isdigit():
            continue
        stem = STEM(word)
        if stem not in seen:
            seen.add(stem)
            found.append((word, stem))
    return found


def first_words(text, count=TYPED_WORDS):
    return " ".join((text or "").split()[:count])


# --- The BM25 reference -------------------------------------------------------------------------------------


class BM25Reference:
    """Okapi BM25 over one field (title, question and answer), in memory: k1 = 1.2, b = 0.75, idf =
    ln(1 + (N − df + 0.5) / (df + 0.5)), each distinct query term counted once. It keeps the engines' interface
    (``search`` returns an object with ``hits``; ``similar`` a list of hits, each with a ``page_id``) and ignores
    the audience: every document is visible in this bench."""

    name = "bm25"
    k1 = 1.2
    b = 0.75

    def __init__(self, documents):
        self.page_ids = []
        self.postings = defaultdict(list)  # stem → [(document number, term frequency)]
        lengths = []
        for number, doc in enumerate(documents):
            counts = Counter(terms(f"{doc.title} {doc.question} {doc.answer}"))
            self.page_ids.append(doc.page_id)
            lengths.append(sum(counts.values()))
            for term, tf in counts.items():
                self.postings[term].append((number, tf))
        count = len(lengths)
        average = sum(lengths) / count if count else 1.0
        # The length normalisation of each document: k1 · (1 − b + b · |d| / avgdl).
        self.norms = [self.k1 * (1 - self.b + self.b * length / average) for length in lengths]
        self.df = {term: len(postings) for term, postings in self.postings.items()}
        self.idf = {term: math.log(1 + (count - df + 0.5) / (df + 0.5)) for term, df in self.df.items()}

    def ranked(self, text, *, limit, exclude_page_id=None):
        """[(page id, score)], best first (ties: the lower page id first)."""
        scores = defaultdict(float)
        for term in set(terms(text)):
            idf = self.idf.get(term)
            if idf is None:
                continue
            for number, tf in self.postings[term]:
                scores[number] += idf * tf * (self.k1 + 1) / (tf + self.norms[number])
        best = nsmallest(
            limit + 1,
            ((-score, self.page_ids[number]) for number, score in scores.items()),
        )
        return [(page_id, -score) for score, page_id in best if page_id != exclude_page_id][:limit]

    def search(self, query, *, audience=None, limit=SEARCH_LIMIT, **_options):
        return _Ranked([_Hit(page_id, score) for page_id, score in self.ranked(query, limit=limit)])

    def similar(self, text, *, audience=None, limit=SIMILAR_LIMIT, exclude_page_id=None):
        return [
            _Hit(page_id, score) for page_id, score in self.ranked(text, limit=limit, exclude_page_id=exclude_page_id)
        ]


@dataclass
class _Hit:
    page_id: int
    score: float


@dataclass
class _Ranked:
    hits: list


# --- What is measured ---------------------------------------------------------------------------------------

SEARCH_KINDS = [
    ("title", "exact title"),
    ("rare", "3 rarest title words"),
    ("answer", "3 words of the answer"),
    ("common", "3 commonest title words"),
]


@dataclass
class Question:
    page_id: int
    site: str
    title: str
    question: str
    queries: dict  # search kind → query


@dataclass
class Tally:
    """One kind of call, for one engine, over the sampled questions."""

    ranks: list = field(default_factory=list)  # 1-based rank of the question itself; 0 when it was not returned
    returned: list = field(default_factory=list)  # how many results each call returned
    same_site: list = field(default_factory=list)  # how many of them came from the question's own site
    itself: int = 0  # calls that returned the question they were told to exclude (left out of the counts)
    ms: list = field(default_factory=list)

    def mrr(self):
        return statistics.mean(1 / rank if rank else 0.0 for rank in self.ranks)

    def recall(self, k):
        return statistics.mean(1.0 if 0 < rank <= k else 0.0 for rank in self.ranks)

    def same_share(self, calls=None):
        """Results from the question's own site ÷ results returned, over all calls (or the ``calls`` given)."""
        calls = range(len(self.returned)) if calls is None else calls
        total = sum(self.returned[i] for i in calls)
        return sum(self.same_site[i] for i in calls) / total if total else None

    def mean_returned(self):
        return statistics.mean(self.returned)

    def empty(self):
        return sum(1 for count in self.returned if not count)

    def p50_p95(self):
        return statistics.median(self.ms), percentile(self.ms, 0.95)


def _rank(page_ids, wanted):
    return page_ids.index(wanted) + 1 if wanted in page_ids else 0


def evaluate(engine, questions, site_of, audience, *, label):
    """{kind: Tally} for ``engine`` over ``questions``."""
    from tqdm import tqdm

    tallies = defaultdict(Tally)

    def call(kind, function, *args, **kwargs):
        started = time.perf_counter()
        result = function(*args, audience=audience, **kwargs)
        tallies[kind].ms.append((time.perf_counter() - started) * 1000)
        return [hit.page_id for hit in (result.hits if hasattr(result, "hits") else result)]

    def neighbours(kind, question, found):
        tally = tallies[kind]
        tally.itself += question.page_id in found
        found = [page_id for page_id in found if page_id != question.page_id]  # as the answer page does
        tally.returned.append(len(found))
        tally.same_site.append(sum(1 for page_id in found if site_of.get(page_id) == question.site))

    for question in tqdm(questions, desc=f"Asking {label}", unit=" questions", disable=None, file=sys.stderr):
        for kind, _ in SEARCH_KINDS:
            found = call(f"search:{kind}", engine.search, question.queries[kind], limit=SEARCH_LIMIT, facets=False)
            tallies[f"search:{kind}"].ranks.append(_rank(found, question.page_id))
        text = f"{question.title} {question.question}"
        found = call("related", engine.similar, text, limit=SIMILAR_LIMIT, exclude_page_id=question.page_id)
        neighbours("related", question, found)
        found = call("ask:title", engine.similar, question.title, limit=SIMILAR_LIMIT)
        tallies["ask:title"].ranks.append(_rank(found, question.page_id))
        typed = first_words(question.question)
        found = call("ask:body", engine.similar, typed, limit=SIMILAR_LIMIT)
        tallies["ask:body"].ranks.append(_rank(found, question.page_id))
        found = call("ask:body-excl", engine.similar, typed, limit=SIMILAR_LIMIT, exclude_page_id=question.page_id)
        neighbours("ask:body-excl", question, found)
    return tallies


def build_questions(documents, site_of, reference, *, count, seed):
    """``count`` imported questions sampled with ``seed``, each with its four search queries."""
    eligible = sorted(doc.page_id for doc in documents.values() if site_of.get(doc.page_id) and doc.answer.strip())
    sample = random.Random(seed).sample(eligible, min(count, len(eligible)))
    questions, short_titles = [], 0
    for page_id in sample:
        doc = documents[page_id]
        title_words = query_candidates(doc.title)
        short_titles += len(title_words) <= QUERY_WORDS
        by_df = sorted(enumerate(title_words), key=lambda item: (reference.df.get(item[1][1], 0), item[0]))
        rare = [word for _, (word, _) in by_df[:QUERY_WORDS]]
        common = [word for _, (word, _) in sorted(by_df, key=lambda item: -reference.df.get(item[1][1], 0))][
            :QUERY_WORDS
        ]
        in_title = {stem for _, stem in title_words}
        answer_words = query_candidates(doc.answer)
        rng = random.Random(f"{seed}:{doc.title}")  # not the page id: the same words in any database
        others = sorted(word for word, stem in answer_words if stem not in in_title)
        picked = rng.sample(others, min(QUERY_WORDS, len(others)))
        if len(picked) < QUERY_WORDS:  # a short answer: words it shares with the title make up the three
            shared = sorted(word for word, stem in answer_words if stem in in_title)
            picked += rng.sample(shared, min(QUERY_WORDS - len(picked), len(shared)))
        questions.append(
            Question(
                page_id=page_id,
                site=site_of[page_id],
                title=doc.title,
                question=doc.question,
                queries={
                    "title": doc.title,
                    "rare": " ".join(rare),
                    "answer": " ".join(picked),
                    "common": " ".join(common),
                },
            )
        )
    return questions, short_titles


def chance_share(questions, per_site, total):
    """The same-site share of five documents drawn at random (the question itself left out)."""
    return statistics.mean((per_site[q.site] - 1) / (total - 1) for q in questions) if total > 1 else 0.0


# --- Importing the dumps ------------------------------------------------------------------------------------


def elastic_engine(url, documents):
    """The product's Elasticsearch engine at ``url``, indexed afresh with ``documents`` (under its own prefix)."""
    from search.backends.elastic import ElasticsearchBackend

    engine = ElasticsearchBackend(url=url, prefix="bench-relevance", timeout=60)
    _progress(f"Indexing {len(documents):,} answers in {url}…")
    engine.rebuild(iter(documents.values()))
    return engine


def site_for(folder_name):
    """The site a dump folder holds, from its name: ``coffee`` → coffee.stackexchange.com, ``x-meta`` →
    x.meta.stackexchange.com, a host name as it is."""
    name = folder_name.lower()
    if name in KNOWN_SITES:
        return KNOWN_SITES[name]
    if "." in name:
        return name
    if name.endswith("-meta"):
        return f"{name[: -len('-meta')]}.meta.stackexchange.com"
    return f"{name}.stackexchange.com"


def find_dumps(specs, *, defaults):
    """[(Posts.xml path, site host)] from ``PATH[=SITE]`` arguments (a Posts.xml, a dump folder, or a folder of
    dump folders), after the default dumps unless ``defaults`` is false."""
    found = []
    for spec in ([str(DATA_DIR)] if defaults else []) + list(specs):
        raw, _, site = spec.partition("=")
        path = Path(raw).expanduser()
        if path.is_file():
            files = [path]
        elif (path / "Posts.xml").is_file():
            files = [path / "Posts.xml"]
        elif path.is_dir():
            files = sorted(path.glob("*/Posts.xml"))
        else:
            files = []
        if not files:
            sys.exit(f"No Posts.xml at {raw}.")
        if site and len(files) > 1:
            sys.exit(f"{raw} holds several dumps: name each folder with its own =SITE.")
        found += [(file, site or site_for(file.resolve().parent.name)) for file in files]
    sites = [site for _, site in found]
    if len(set(sites)) != len(sites):
        sys.exit("Two dumps for one site: " + ", ".join(sorted({s for s in sites if sites.count(s) > 1})))
    return found


def import_dumps(dumps):
    """Each dump through ``manage.py import_stackexchange``, with its own --site (and --source, so a re-run with
    --reuse imports only what is new)."""
    from django.core.management import call_command

    topics, _, _ = generate_qa.ensure_cast()
    topic = sorted(topics)[0]
    for path, site in dumps:
        started, out = time.perf_counter(), io.StringIO()
        _progress(f"Importing {path} as {site}…")
        call_command(
            "import_stackexchange", str(path), site=site, topic=topic, source=f"stackexchange:{site}", stdout=out
        )
        summary = "; ".join(line.strip() for line in out.getvalue().splitlines() if line.strip())
        _progress(f"  {time.perf_counter() - started:.1f} s: {summary}")


# --- The timing database ------------------------------------------------------------------------------------


def timing_url(url):
    """The second scratch database, beside the first: ``relevance-timing.sqlite3`` or ``<name>_timing``."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        path = Path(parts.path[1:] if parts.path.startswith("//") else parts.path)
        return f"sqlite:///{path.with_name(f'{path.stem}-timing{path.suffix}')}"
    return parts._replace(path=f"{parts.path.rstrip('/')}_timing").geturl()


def run_timing(args):
    """In its own process (Django is set up once per process, on one database): grow the timing database to
    ``--timing-size`` generated answers and time ``similar()``; the figures are written as JSON."""
    generate_qa.open_bench_database(args.timing_database_url, fresh=not args.reuse)
    logging.getLogger("qa_site.jobs").setLevel(logging.WARNING)
    from django.db import connection

    from qa_site.knowledge.models import QuestionPage
    from search.backends import get_backend
    from search.backends.base import Audience

    current = QuestionPage.objects.count()
    if current < args.timing_size:
        _progress(f"Generating {args.timing_size - current:,} answers (bench/generate_qa.py, seed {GENERATION_SEED})…")
        generate_qa.generate(args.timing_size - current, seed=GENERATION_SEED, start=current)
        if connection.vendor == "postgresql":  # as autovacuum would, a minute after a bulk load
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
    elif current > args.timing_size:
        _progress(f"The timing database already has {current:,} answers (more than --timing-size): timing those.")
    size = QuestionPage.objects.count()
    ids = sorted(QuestionPage.objects.live().values_list("pk", flat=True))
    chosen = random.Random(args.seed).sample(ids, min(args.runs, len(ids)))
    pages = list(QuestionPage.objects.filter(pk__in=chosen).values_list("pk", "title", "question_text"))
    backend, everyone = get_backend(), Audience(everything=True)
    _progress(f"Timing similar() at {size:,} answers ({args.runs} calls each)…")
    figures = {
        "related": timed(
            lambda p: backend.similar(f"{p[1]} {p[2]}", audience=everyone, limit=SIMILAR_LIMIT, exclude_page_id=p[0]),
            pages,
            args.runs,
        ),
        "ask:title": timed(lambda p: backend.similar(p[1], audience=everyone, limit=SIMILAR_LIMIT), pages, args.runs),
        "ask:body": timed(
            lambda p: backend.similar(first_words(p[2]), audience=everyone, limit=SIMILAR_LIMIT), pages, args.runs
        ),
    }
    result = {"size": size, "database": database_label(connection), "engine": engine_label(backend), "ms": figures}
    Path(args.timing_json).write_text(json.dumps(result), encoding="utf-8")


def timing_in_subprocess(args):
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "timing.json"
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--timing-only",
            "--timing-json",
            str(out),
            "--timing-size",
            str(args.timing_size),
            "--timing-database-url",
            args.timing_database_url,
            "--runs",
            str(args.runs),
            "--seed",
            str(args.seed),
        ] + (["--reuse"] if args.reuse else [])
        if subprocess.run(command).returncode:
            sys.exit("Timing similar() failed: see above.")
        return json.loads(out.read_text(encoding="utf-8"))


# --- Reporting ----------------------------------------------------------------------------------------------


def _progress(message):
    print(message, file=sys.stderr, flush=True)


def database_label(connection):
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT sqlite_version()")
            return f"SQLite {cursor.fetchone()[0]}"
    if connection.vendor == "postgresql":
        version = connection.pg_version
        return f"PostgreSQL {version // 10000}.{version % 10000}"
    return connection.vendor


def engine_label(backend):
    return f"{type(backend).__name__} ({getattr(backend, 'name', '?')})"


def code_label():
    """The commit measured and, when search/ has changes not committed (it may be being worked on), a digest of
    them, so that two runs can be told to have measured the same code."""

    def git(*arguments):
        return subprocess.run(["git", *arguments], cwd=ROOT, capture_output=True, check=True).stdout

    try:
        head = git("rev-parse", "--short", "HEAD").decode().strip()
        digest = hashlib.sha1(git("diff", "HEAD", "--", "search"))
        for name in sorted(git("ls-files", "--others", "--exclude-standard", "--", "search").decode().split()):
            digest.update(name.encode() + (ROOT / name).read_bytes())
    except (OSError, subprocess.CalledProcessError):
        return "unknown (no git)"
    clean = digest.hexdigest() == hashlib.sha1(b"").hexdigest()
    return head if clean else f"{head} + uncommitted changes in search/ (digest {digest.hexdigest()[:8]})"


def table(headers, rows, *, aligns=None):
    """Fixed-width columns: the first left-aligned, the others right-aligned unless ``aligns`` says (``<``/``>``)."""
    aligns = aligns or ["<"] + [">"] * (len(headers) - 1)
    cells = [[str(cell) for cell in row] for row in [headers, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = [
        "  ".join(f"{cell:{align}{width}}" for cell, align, width in zip(row, aligns, widths, strict=True))
        for row in cells
    ]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(line.rstrip() for line in lines)


def _pct(value):
    return "—" if value is None else f"{value:.1%}"


def _ms(pair):
    return f"{pair[0]:.1f} / {pair[1]:.1f}"


def report(engines, tallies, questions, site_counts, meta, timing):
    names = [name for name, _ in engines]
    per_site = Counter(q.site for q in questions)
    chance = chance_share(questions, site_counts, sum(site_counts.values()))
    print(f"\nRelevance on real Stack Exchange questions — {meta['database']}, code {meta['code']}")
    print(f"Engines: {'; '.join(f'{name}: {description}' for name, description in engines)}")
    print(
        f"{meta['documents']:,} answers indexed; {len(questions)} questions sampled (seed {meta['seed']}): "
        + ", ".join(f"{site} {per_site[site]} of {count:,}" for site, count in sorted(site_counts.items()))
    )
    print(
        f"Reference tokens: lower-case \\w+, {len(STOP_WORDS)} stop words, stemming: {STEMMER_NAME}. "
        f"{meta['short_titles']} sampled titles have ≤ {QUERY_WORDS} query words (their rare and common "
        "queries are the same words)."
    )
    print(f"Audience: everything. Data: {LICENCE_NOTE}.\n")

    rows = []
    for kind, label in SEARCH_KINDS:
        for name in names:
            tally = tallies[name][f"search:{kind}"]
            rows.append(
                (label if name == names[0] else "", name, f"{tally.mrr():.3f}", _pct(tally.recall(1)))
                + (_pct(tally.recall(SEARCH_LIMIT)), *(f"{ms:.1f}" for ms in tally.p50_p95()))
            )
    print("Search (top 10, no facets): the question itself")
    print(table(["query", "engine", "MRR@10", "recall@1", "recall@10", "p50 ms", "p95 ms"], rows))

    rows = []
    for name in names:
        tally = tallies[name]["related"]
        rows.append(
            (name, _pct(tally.same_share()), f"{tally.mean_returned():.2f}", tally.empty(), tally.itself)
            + tuple(f"{ms:.1f}" for ms in tally.p50_p95())
        )
    rows.append(("chance", _pct(chance), "5.00", "", "", "", ""))
    print("\nRelated questions: similar(title + question, limit=5, itself excluded)")
    print(table(["engine", "same site", "returned", "none", "itself back", "p50 ms", "p95 ms"], rows))

    rows = []
    for site in sorted(per_site):
        site_questions = [q for q in questions if q.site == site]
        calls = [i for i, q in enumerate(questions) if q.site == site]
        shares = [_pct(tallies[name]["related"].same_share(calls)) for name in names]
        chance_here = chance_share(site_questions, site_counts, sum(site_counts.values()))
        rows.append((site, len(site_questions), *shares, _pct(chance_here)))
    print("\nRelated questions from the same site, by site")
    print(table(["site", "questions", *names, "chance"], rows))

    rows = []
    for name in names:
        title, body, excl = (tallies[name][kind] for kind in ("ask:title", "ask:body", "ask:body-excl"))
        rows.append(
            (name, _pct(title.recall(SIMILAR_LIMIT)), _pct(body.recall(SIMILAR_LIMIT)), _pct(excl.same_share()))
            + (f"{excl.mean_returned():.2f}", excl.empty(), excl.itself, _ms(title.p50_p95()), _ms(body.p50_p95()))
            + (_ms(excl.p50_p95()),)
        )
    print(
        f"\nSimilar while asking: similar(typed text, limit=5); typed body = first {TYPED_WORDS} words of the question"
    )
    print(
        table(
            ["engine", "title: itself", "body: itself", "body excl: same site", "returned", "none", "itself back"]
            + ["title ms p50/p95", "body ms p50/p95", "excl ms p50/p95"],
            rows,
        )
    )

    if timing:
        print(
            f"\nsimilar() at {timing['size']:,} generated answers — {timing['database']}, {timing['engine']}, "
            f"{meta['runs']} calls each, ms"
        )
        rows = [(label, f"{timing['ms'][kind][0]:.1f}", f"{timing['ms'][kind][1]:.1f}") for kind, label in TIMED]
        print(table(["call", "p50 ms", "p95 ms"], rows))

    print(markdown(names, tallies, chance, meta, timing))


TIMED = [
    ("related", "related questions (title + question, itself excluded)"),
    ("ask:title", "typed title"),
    ("ask:body", f"typed first {TYPED_WORDS} words of the question"),
]


def markdown(names, tallies, chance, meta, timing):
    lines = [
        "",
        f"Markdown for docs/performance.md ({meta['database']}, code {meta['code']}):",
        "",
        f"Relevance — `bench/relevance.py`, {meta['documents']:,} answers imported from {len(meta['sites'])} Stack "
        f"Exchange sites ({', '.join(meta['sites'])}), {meta['questions']} questions (seed {meta['seed']}); the right "
        "result is the question itself.",
        "",
        "| measure | " + " | ".join(names) + " |",
        "|---" * (len(names) + 1) + "|",
    ]

    def row(label, cell):
        lines.append(f"| {label} | " + " | ".join(cell(tallies[name]) for name in names) + " |")

    for kind, label in SEARCH_KINDS:
        row(
            f"search, {label}: MRR@10 / recall@1 / recall@10",
            lambda t, kind=kind: (
                f"{t[f'search:{kind}'].mrr():.3f} / {_pct(t[f'search:{kind}'].recall(1))} / "
                f"{_pct(t[f'search:{kind}'].recall(SEARCH_LIMIT))}"
            ),
        )
    row(
        f"related questions: same site in the top 5 (returned; chance {_pct(chance)})",
        lambda t: f"{_pct(t['related'].same_share())} ({t['related'].mean_returned():.2f})",
    )
    row("asking, typed title: itself in the top 5", lambda t: _pct(t["ask:title"].recall(SIMILAR_LIMIT)))
    row(
        f"asking, typed first {TYPED_WORDS} words: itself in the top 5",
        lambda t: _pct(t["ask:body"].recall(SIMILAR_LIMIT)),
    )
    row(
        f"asking, typed first {TYPED_WORDS} words, itself excluded: same site in the top 5",
        lambda t: f"{_pct(t['ask:body-excl'].same_share())} ({t['ask:body-excl'].mean_returned():.2f})",
    )
    row(
        "ms p50 / p95: search (exact title) · related · typed title · typed body",
        lambda t: " · ".join(_ms(t[kind].p50_p95()) for kind in ("search:title", "related", "ask:title", "ask:body")),
    )
    if timing:
        lines += [
            "",
            f"`similar()` at {timing['size']:,} generated answers ({timing['database']}, {meta['runs']} calls each):",
            "",
            "| call | p50 ms | p95 ms |",
            "|---|---|---|",
        ]
        lines += [f"| {label} | {timing['ms'][k][0]:.1f} | {timing['ms'][k][1]:.1f} |" for k, label in TIMED]
    lines += ["", f"Data: {LICENCE_NOTE}."]
    return "\n".join(lines)


# --- Command line -------------------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "dumps", nargs="*", metavar="PATH[=SITE]", help="more Posts.xml files or dump folders (site: from the folder)"
    )
    parser.add_argument(
        "--without-default-dumps", action="store_true", help=f"import only the dumps named, not {DATA_DIR}"
    )
    parser.add_argument("--questions", type=int, default=200, help="questions sampled (default %(default)s)")
    parser.add_argument("--seed", type=int, default=7, help="for the sample and the answer words (default %(default)s)")
    parser.add_argument(
        "--database-url",
        default=DEFAULT_DATABASE_URL,
        help="scratch database (default var/bench/relevance.sqlite3; PostgreSQL databases are created, and dropped "
        "first unless --reuse)",
    )
    parser.add_argument("--reuse", action="store_true", help="keep the scratch databases' contents")
    parser.add_argument("--timing-size", type=int, default=0, help="answers to time similar() at (default 0: skip)")
    parser.add_argument("--timing-database-url", help="(default: beside --database-url, named …-timing / …_timing)")
    parser.add_argument("--runs", type=int, default=100, help="calls per timing figure (default %(default)s)")
    parser.add_argument(
        "--elastic-url",
        help="also ask an Elasticsearch cluster at this URL (indexed afresh under the prefix bench-relevance)",
    )
    parser.add_argument(
        "--elastic-stand-in",
        action="store_true",
        help="also ask osmem-server, the in-memory OpenSearch-compatible stand-in the tests use (its scoring is its "
        "own, not Elasticsearch's: a check that the engine works on real text, not a measure of Elasticsearch)",
    )
    parser.add_argument("--timing-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--timing-json", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.timing_database_url = args.timing_database_url or timing_url(args.database_url)
    if args.questions < 1 or args.runs < 1 or args.timing_size < 0:
        parser.error("--questions and --runs must be at least 1, --timing-size at least 0")
    if args.timing_only:
        run_timing(args)
        return
    dumps = find_dumps(args.dumps, defaults=not args.without_default_dumps)

    generate_qa.open_bench_database(args.database_url, fresh=not args.reuse)
    from django.conf import settings
    from django.db import connection

    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    logging.getLogger("qa_site.jobs").setLevel(logging.WARNING)  # not a line per indexing job
    from qa_site.knowledge.models import QuestionPage
    from search.backends import get_backend
    from search.backends.base import Audience
    from search.documents import iter_documents

    import_dumps(dumps)
    if connection.vendor == "postgresql":
        # Steady state: statistics and the full-text index's pending entries as autovacuum leaves them (it is
        # switched off on some machines, this one included; freshly imported tables are otherwise never analysed).
        _progress("VACUUM ANALYZE…")
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    _progress("Reading the indexed documents and building the BM25 reference…")
    documents = {doc.page_id: doc for doc in iter_documents()}
    wanted = {site for _, site in dumps}
    site_of = {
        page_id: site
        for page_id, site in QuestionPage.objects.filter(pk__in=documents).values_list("pk", "source_name")
        if site in wanted
    }
    site_counts = Counter(site_of.values())
    reference = BM25Reference(documents.values())
    questions, short_titles = build_questions(documents, site_of, reference, count=args.questions, seed=args.seed)
    if not questions:
        sys.exit("No imported question to ask about.")

    backend = get_backend()
    engines = [
        (backend.name, f"the product's engine, {engine_label(backend)} on {database_label(connection)}", backend),
        ("bm25", f"the BM25 reference (k1 {BM25Reference.k1}, b {BM25Reference.b})", reference),
    ]
    stand_in = None
    if args.elastic_stand_in:
        from osmem_server import OsmemServer

        _progress("Starting osmem-server…")
        stand_in = OsmemServer.start(japanese=False, startup_timeout=120)
    for url, name, description in (
        (args.elastic_url, "elastic", f"Elasticsearch at {args.elastic_url}"),
        (stand_in.url if stand_in else None, "osmem", "osmem-server, an in-memory stand-in (not Elasticsearch)"),
    ):
        if url:
            engines.insert(-1, (name, description, elastic_engine(url, documents)))
    everyone = Audience(everything=True)
    tallies = {}
    for name, _, engine in engines:
        _progress(f"Asking {name} about {len(questions)} questions ({len(SEARCH_KINDS)} searches, 4 similar each)…")
        started = time.perf_counter()
        tallies[name] = evaluate(engine, questions, site_of, everyone, label=name)
        _progress(f"  {time.perf_counter() - started:.1f} s")
    if stand_in is not None:
        stand_in.close()
    meta = {
        "database": database_label(connection),
        "code": code_label(),
        "documents": len(documents),
        "questions": len(questions),
        "seed": args.seed,
        "short_titles": short_titles,
        "sites": sorted(site_counts),
        "runs": args.runs,
    }
    timing = None
    if args.timing_size:
        _progress(f"Timing similar() at {args.timing_size:,} answers in {args.timing_database_url}…")
        timing = timing_in_subprocess(args)
    report([(name, description) for name, description, _ in engines], tallies, questions, site_counts, meta, timing)


if __name__ == "__main__":
    main()
