"""Fill a bench database with many realistic published answers, fast and repeatably.

Text is assembled from the demo content's own sentences (qa_site/demo/content), topic by topic, with the
words that benchmarks search for put in at known rates, so that a search benchmark knows which terms are
in almost every answer, which in about a quarter and which are rare (``term_bands()``):

- ``COMMON_TERMS`` — in almost every answer ("charity" in ~97 %; "the" in all, though full-text engines
  with English stop words, PostgreSQL's among them, drop it);
- ``QUARTER_TERMS`` — in about 25 % each ("trustees", "deadline");
- ``RARE_TERMS`` — in about 0.3 % each (unusual place names).

The demo sentences are rewritten so that none of these words occurs except where it is put in on purpose
("charity" → "organisation", "trustees" → "board members", "deadline" → "closing date"). Item ``n`` of a
seed is the same whatever the count, so ``generate(1000)`` is the first thousand of ``generate(100_000)``.
Answers run 120–400 words, were published between 2019 and October 2026, ~80 % public and ~20 % for one
network only, by the demo experts of their topic. Pages are written with
``qa_site.knowledge.bulk.bulk_create_question_pages``.

From code (Django set up, on whatever database is configured — a test database in benchmarks)::

    from bench.generate_qa import generate, term_bands
    result = generate(10_000, seed=0)

From the command line, into a bench database (never the development one)::

    .venv/bin/python bench/generate_qa.py --count 1000                 # SQLite: var/bench/qa.sqlite3
    .venv/bin/python bench/generate_qa.py --count 100000 --fresh
    .venv/bin/python bench/generate_qa.py --count 1000 --database-url postgres://postgres@127.0.0.1:5432/qa_bench
"""

import argparse
import datetime as dt
import os
import random
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from qa_site.demo import people  # noqa: E402  (plain data: no Django needed for the text)

# --- The vocabulary bands ------------------------------------------------------------------------------

COMMON_TERMS = ("charity", "the")
QUARTER_TERMS = ("trustees", "deadline")
RARE_TERMS = ("Quarrington", "Llanddewi", "Kirkoswald", "Morwenstow", "Tollesbury", "Ravenglass")

CHARITY_RATE = 0.97
QUARTER_RATE = 0.25
RARE_RATE = 0.003

_CHARITY_SENTENCES = [
    "As a charity, you need to be able to show that the decision serves your purposes and your beneficiaries.",
    "The charity's governing document is the first place to look, because it sets out what you may do.",
    "Most groups in your position sort this out within a few months, and no charity regulator expects more.",
    "Keep a short written note of how the charity reached its decision and what it considered.",
    "A charity of your size does not need an elaborate process, only a consistent one.",
    "Another charity in the network found it useful to share its templates on this.",
    "Your local infrastructure body supports charity and community groups with exactly this kind of question.",
    "It is worth checking whether the charity's insurance covers the activity before you start.",
]
_QUARTER_SENTENCES = {
    "trustees": [
        "The trustees should make the decision at a quorate meeting and record it in the minutes.",
        "Your trustees remain responsible, even when staff or volunteers do the day-to-day work.",
        "Ask the trustees to review the arrangement once a year so it does not drift.",
        "Trustees who have a conflict of interest should leave the room for that item.",
        "Make sure all the trustees have seen the figures before they are asked to agree.",
    ],
    "deadline": [
        "Check the deadline in your funding agreement before you commit to anything.",
        "If a deadline is close, tell the funder early rather than asking for forgiveness later.",
        "Put the deadline in the shared calendar and name one person to track it.",
        "Some of these steps take weeks, so work back from the deadline when you plan.",
    ],
}
_RARE_SENTENCES = [
    "A group in {term} dealt with much the same situation last year and was glad it started early.",
    "The approach taken in {term} is a useful model if you want to see it done well.",
    "Advisers near {term} have written a short checklist on this that they are happy to share.",
]
# Demo sentences are rewritten so that the band words occur only where they are put in on purpose.
_REWRITES = [
    (r"\b(the )?Charity Commission", r"\1regulator"),
    (r"\bCharities Act", "Companies Act"),
    (r"\b([Aa]) charity\b", r"\1n organisation"),
    (r"\bcharitable\b", "not-for-profit"),
    (r"\bCharitable\b", "Not-for-profit"),
    (r"\bcharities\b", "organisations"),
    (r"\bCharities\b", "Organisations"),
    (r"\bcharity\b", "organisation"),
    (r"\bCharity\b", "Organisation"),
    (r"\btrusteeship\b", "board membership"),
    (r"\btrustees\b", "board members"),
    (r"\bTrustees\b", "Board members"),
    (r"\btrustee\b", "board member"),
    (r"\bTrustee\b", "Board member"),
    (r"\bdeadlines\b", "closing dates"),
    (r"\bdeadline\b", "closing date"),
]

_ORGANISATIONS = [
    "a village hall committee",
    "a community transport scheme",
    "a small CIO",
    "a food bank",
    "a youth club",
    "a tenants' association",
    "a community interest company",
    "a lunch club for older people",
    "a carers' support group",
    "a community sports club",
    "a playgroup",
    "an arts collective",
    "a refugee support group",
    "a community shop",
    "a befriending scheme",
    "a parish hall management committee",
    "a men's shed",
    "a community garden",
]
_SIZES = ["no staff", "one part-time worker", "two staff", "five staff", "about a dozen staff"]
_INTRODUCTIONS = [
    "We are {organisation} in {place} with {size} and about {volunteers} volunteers.",
    "I advise {organisation} in {place}; they have {size} and an income of about £{income},000.",
    "Our member is {organisation} based in {place}, with {size}.",
    "We run {organisation} in {place}.",
    "This comes from {organisation} in {place}, which has {size} and about {volunteers} helpers.",
]
_PLACE_STARTS = [
    "Ash", "Brad", "Brook", "Burn", "Cal", "Chel", "Clay", "Crow", "Dun", "Elm", "Fair", "Fern", "Gold", "Hal",
    "Hart", "Hol", "Kings", "Lang", "Lea", "Lin", "Mar", "Mill", "New", "North", "Oak", "Pen", "Red", "Rock",
    "Sand", "Shep", "South", "Stan", "Stoke", "Thorn", "Wal", "West", "Whit", "Wick", "Wil", "Wood",
]  # fmt: skip
_PLACE_ENDS = [
    "bourne", "bridge", "bury", "by", "caster", "combe", "dale", "den", "field", "ford", "gate", "ham", "hampton",
    "hurst", "ington", "ley", "mere", "moor", "more", "stead", "stow", "thorpe", "ton", "well", "wick", "worth",
]  # fmt: skip
PLACES = [start + end for start in _PLACE_STARTS for end in _PLACE_ENDS]  # 1,040 names: the long tail

START = dt.datetime(2019, 1, 1, tzinfo=dt.UTC)
END = dt.datetime(2026, 10, 31, tzinfo=dt.UTC)
NETWORK_ONLY_RATE = 0.2
MIN_WORDS, MAX_WORDS = 120, 400


def _rewrite(text):
    for pattern, replacement in _REWRITES:
        text = re.sub(pattern, replacement, text)
    return text


def _sentences(text):
    """Plain sentences of a Markdown answer: list markers and bold headings dropped, 6–45 words each."""
    found = []
    for line in text.splitlines():
        line = re.sub(r"^\s*(?:[-*]|\d+\.)\s+", "", line).replace("**", "").strip()
        for sentence in re.split(r"(?<=[.!?])\s+(?=[A-Z])", line):
            words = len(sentence.split())
            if 6 <= words <= 45 and sentence[0].isupper() and sentence[-1] in ".!?":
                found.append(sentence)
    return found


@dataclass(frozen=True)
class _Topic:
    slug: str
    name: str
    description: str
    titles: tuple
    question_sentences: tuple
    answer_sentences: tuple
    expert_slugs: tuple


@cache
def _topics():
    topics = []
    for content in people.load_topics():
        items = content["answered"] + content.get("open", [])
        topics.append(
            _Topic(
                slug=content["slug"],
                name=content["name"],
                description=content["description"],
                titles=tuple(_rewrite(item["title"]) for item in items),
                question_sentences=tuple(s for item in items for s in _sentences(_rewrite(item["details"]))),
                answer_sentences=tuple(s for item in content["answered"] for s in _sentences(_rewrite(item["answer"]))),
                expert_slugs=tuple(e[3] for e in people.EXPERTS if content["slug"] in e[7]),
            )
        )
    return tuple(topics)


@dataclass
class QAText:
    """One generated question and answer, before it is a page."""

    number: int
    topic_slug: str
    title: str
    question: str
    answer: str  # Markdown paragraphs
    published_at: dt.datetime
    network_only: bool
    network_slug: str | None
    expert_slug: str | None
    score: int = 0  # for fixtures that need a vote count (Stack Exchange)


def qa_text(number, *, seed=0):
    """Item ``number`` of ``seed``: the same every time, whatever else is generated."""
    rng = random.Random(f"{seed}:{number}")
    topics = _topics()
    topic = topics[rng.randrange(len(topics))]
    organisation = rng.choice(_ORGANISATIONS)
    place = rng.choice(PLACES)
    title = f"{rng.choice(topic.titles)} ({organisation[2:] if organisation[1] == ' ' else organisation[3:]}, {place})"

    introduction = rng.choice(_INTRODUCTIONS).format(
        organisation=organisation,
        place=place,
        size=rng.choice(_SIZES),
        volunteers=rng.randint(4, 90),
        income=rng.randint(8, 400),
    )
    question = " ".join(
        [introduction] + rng.sample(topic.question_sentences, k=min(len(topic.question_sentences), rng.randint(2, 5)))
    )

    target = rng.randint(MIN_WORDS, MAX_WORDS)
    inserts = []
    if rng.random() < CHARITY_RATE:
        inserts.append(rng.choice(_CHARITY_SENTENCES))
    for term in QUARTER_TERMS:
        if rng.random() < QUARTER_RATE:
            inserts.append(rng.choice(_QUARTER_SENTENCES[term]))
    for term in RARE_TERMS:
        if rng.random() < RARE_RATE:
            inserts.append(rng.choice(_RARE_SENTENCES).format(term=term))
    sentences = list(inserts)
    words = sum(len(s.split()) for s in sentences)
    for sentence in rng.sample(topic.answer_sentences, k=len(topic.answer_sentences)):
        if words >= target:
            break
        sentences.append(sentence)
        words += len(sentence.split())
    rng.shuffle(sentences)
    paragraphs, i = [], 0
    while i < len(sentences):
        size = rng.randint(2, 5)
        paragraphs.append(" ".join(sentences[i : i + size]))
        i += size

    network_only = rng.random() < NETWORK_ONLY_RATE
    return QAText(
        number=number,
        topic_slug=topic.slug,
        title=title[:255],
        question=question,
        answer="\n\n".join(paragraphs),
        published_at=START + dt.timedelta(seconds=rng.randrange(int((END - START).total_seconds()))),
        network_only=network_only,
        network_slug=rng.choice(people.NETWORKS)[0] if network_only else None,
        expert_slug=rng.choice(topic.expert_slugs) if topic.expert_slugs else None,
        score=int(rng.paretovariate(1.5)) - 1,
    )


def qa_texts(count, *, seed=0, start=0):
    for number in range(start, start + count):
        yield qa_text(number, seed=seed)


_WORD = re.compile(r"[^\W\d_]+")


def document_frequencies(texts):
    """{lower-cased word: fraction of texts (title, question and answer) containing it}."""
    counts, total = Counter(), 0
    for text in texts:
        total += 1
        counts.update({w.lower() for w in _WORD.findall(f"{text.title} {text.question} {text.answer}")})
    return {word: n / total for word, n in counts.items()} if total else {}


@cache
def term_bands(*, sample=4000, seed=0):
    """The band terms with the fraction of generated documents containing each, measured on ``sample`` items.

    ``{"common": {"charity": 0.97, "the": 1.0}, "quarter": {"trustees": 0.25, …}, "rare": {"Quarrington": 0.003, …}}``
    """
    frequencies = document_frequencies(qa_texts(sample, seed=seed))
    return {
        band: {term: round(frequencies.get(term.lower(), 0.0), 4) for term in terms}
        for band, terms in (("common", COMMON_TERMS), ("quarter", QUARTER_TERMS), ("rare", RARE_TERMS))
    }


# --- Writing pages -------------------------------------------------------------------------------------


@dataclass
class Generated:
    page_ids: list = field(default_factory=list)
    seconds: float = 0.0  # wall-clock
    cpu_seconds: float = 0.0  # this process (search indexing after each batch runs in it too, on the default)
    bands: dict = field(default_factory=dict)


def ensure_cast():
    """The demo topics, experts and networks, reused when present (e.g. after load_demo), created otherwise.

    Returns ({topic slug: TopicPage}, {expert slug: User}, {network slug: Network}).
    """
    from django.contrib.auth import get_user_model

    from experts.models import ExpertProfile
    from qa_site.knowledge.models import TopicPage
    from qa_site.knowledge.setup import ensure_site_tree
    from subscriptions.models import Network

    _, index = ensure_site_tree()
    topics = {}
    for topic in _topics():
        page = TopicPage.objects.filter(slug=topic.slug).first()
        if page is None:
            page = TopicPage(title=topic.name, slug=topic.slug, description=topic.description)
            index.add_child(instance=page)
            page.save_revision().publish()
        topics[topic.slug] = page
    users = get_user_model()
    experts = {}
    for email, first, last, slug, headline, organisation, bio, topic_slugs, _cap in people.EXPERTS:
        profile = ExpertProfile.objects.filter(slug=slug).select_related("user").first()
        if profile is None:
            user = users.objects.filter(email=email).first()
            if user is None:
                user = users.objects.create_user(email=email, password=None, first_name=first, last_name=last)
            profile = ExpertProfile.objects.create(
                user=user, slug=slug, headline=headline, organisation=organisation, bio=bio
            )
            profile.topics.set([topics[s] for s in topic_slugs])
        experts[slug] = profile.user
    networks = {}
    for slug, name, *_ in people.NETWORKS:
        networks[slug] = Network.objects.filter(slug=slug).first() or Network.objects.create(slug=slug, name=name)
    return topics, experts, networks


def generate(count, *, seed=0, progress=True, start=0, batch_size=1000):
    """Create ``count`` published answers (items ``start`` … ``start + count - 1`` of ``seed``) on the
    configured database; returns their page ids, the seconds taken and ``term_bands()``."""
    from tqdm import tqdm

    from qa_site.knowledge.bulk import BulkQuestion, bulk_create_question_pages

    started, cpu_started = time.perf_counter(), time.process_time()
    topics, experts, networks = ensure_cast()

    def items():
        for text in qa_texts(count, seed=seed, start=start):
            yield BulkQuestion(
                topic=topics[text.topic_slug],
                title=text.title,
                question_text=text.question,
                answer=text.answer,
                visibility="network" if text.network_only else "public",
                network=networks[text.network_slug] if text.network_only else None,
                expert=experts.get(text.expert_slug),
                published_at=text.published_at,
            )

    with tqdm(total=count, desc="Generating answers", unit="answer", disable=None if progress else True) as bar:
        page_ids = bulk_create_question_pages(items(), batch_size=batch_size, progress=bar.update)
    return Generated(
        page_ids=page_ids,
        seconds=time.perf_counter() - started,
        cpu_seconds=time.process_time() - cpu_started,
        bands=term_bands(seed=seed),
    )


# --- Command line --------------------------------------------------------------------------------------


DEFAULT_DATABASE_URL = f"sqlite:///{ROOT / 'var' / 'bench' / 'qa.sqlite3'}"


def _prepare_database(url, *, fresh):
    """Point Django at the bench database (creating it, or emptying it with --fresh) before set-up."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        path = Path(parts.path[1:] if parts.path.startswith("//") else parts.path)
        if path.resolve() == (ROOT / "var" / "db.sqlite3").resolve():
            sys.exit("That is the development database; choose another file for benchmark data.")
        path.parent.mkdir(parents=True, exist_ok=True)
        if fresh:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
    elif parts.scheme in ("postgres", "postgresql"):
        import psycopg
        from psycopg import sql

        name = parts.path.lstrip("/")
        admin = parts._replace(path="/postgres").geturl()
        with psycopg.connect(admin, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if exists and fresh:
                conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
                exists = None
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    else:
        sys.exit(f"Unsupported database URL: {url}")
    os.environ["DATABASE_URL"] = url


def open_bench_database(url, *, fresh=False):
    """Set Django up on the bench database at ``url`` (created, or emptied with ``fresh``) and migrate it."""
    _prepare_database(url, fresh=fresh)
    # The development settings honour DATABASE_URL as given (the test settings swap SQLite for memory).
    os.environ["DJANGO_SETTINGS_MODULE"] = "qa_site.settings.dev"
    import django
    from django.conf import settings

    django.setup()
    settings.DEBUG = False  # no query log: it costs time and memory on a long run
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--start", type=int, default=0, help="first item number (to add to an existing run)")
    parser.add_argument(
        "--database-url",
        default=DEFAULT_DATABASE_URL,
        help="bench database (default: var/bench/qa.sqlite3); PostgreSQL databases are created if missing",
    )
    parser.add_argument("--fresh", action="store_true", help="empty the bench database first")
    args = parser.parse_args()
    if args.count < 1:
        parser.error("--count must be at least 1")

    open_bench_database(args.database_url, fresh=args.fresh)
    from django.db import connection

    result = generate(args.count, seed=args.seed, start=args.start)
    rate = args.count / result.seconds
    print(
        f"Created {len(result.page_ids):,} published answers in {result.seconds:.1f} s "
        f"({rate:,.0f} a second; {result.cpu_seconds:.1f} s of CPU) on {connection.vendor} ({args.database_url})."
    )
    print("Document frequency of the band terms (share of answers containing each):")
    for band, terms in result.bands.items():
        print(f"  {band:8} " + ", ".join(f"{term} {share:.1%}" for term, share in terms.items()))


if __name__ == "__main__":
    main()
