"""What searching the knowledge base costs as it grows, on the configured database, against two yardsticks.

Grows a bench database (never the development one) to each size with ``bench/generate_qa.py`` — realistic
published answers whose band words occur at known rates — and measures, at each size:

- **ours**: ``DatabaseBackend.search`` for an adviser of one network (public answers and that network's),
  without facets: the total and the ranked top 10 with highlighted titles and snippets — what the results
  page needs before its sidebar; p50 / p95 over ``--runs`` runs;
- **floor**: the bare full-text query on the same index for the same words, ranked, top 10, with nothing
  else (no access filter, no total, no highlights) — SQLite:
  ``SELECT rowid FROM qa_search_fts WHERE qa_search_fts MATCH ? ORDER BY rank LIMIT 10``; PostgreSQL:
  ``… WHERE document @@ q ORDER BY ts_rank_cd(document, q) DESC LIMIT 10`` — and ours ÷ floor;
- **+facets**: the same search with the topic / expert / year counts;
- **stock**: Wagtail's own database search backend on the same pages
  (``QuestionPage.objects.live().search(words)[:10]``), fewer runs; on SQLite it is measured up to
  ``--stock-max`` answers only (it re-runs the match for every row it scores: minutes a query at 100,000);
- **publish**: publishing one new answer through ``qa_site.knowledge.services.question_publish`` (page,
  revision, Wagtail's index, our index job after commit), median of ``--publishes``; the ratio between the
  largest and the smallest size is the figure to watch.

Query bands (document frequency measured by the generator): rare words (~0.3 %), words in ~25 % of answers,
two such words together (~6 %), a word in ~97 %.

    .venv/bin/python bench/search.py                                # SQLite, var/bench/search.sqlite3
    .venv/bin/python bench/search.py --sizes 1000 10000 --runs 30
    .venv/bin/python bench/search.py --database-url postgres://postgres@127.0.0.1:5432/qa_bench
    .venv/bin/python bench/search.py --reuse     # keep the answers already in the bench database
"""

import argparse
import datetime as dt
import itertools
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import generate_qa  # noqa: E402  (no Django needed to import it)

BANDS = [
    ("rare", "rare words (~0.3 %)", list(generate_qa.RARE_TERMS)),
    ("quarter", "word in ~25 %", list(generate_qa.QUARTER_TERMS)),
    ("two", "two ~25 % words", [" ".join(generate_qa.QUARTER_TERMS)]),
    ("common", "word in ~97 %", ["charity"]),
]


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def timed(function, terms, runs, *, warm=True):
    """p50 and p95 milliseconds of ``function(term)`` over ``runs`` calls, cycling through ``terms`` (each
    called once first, to warm caches, unless ``warm`` is false)."""
    for term in terms if warm else ():
        function(term)
    cycle, times = itertools.cycle(terms), []
    for _ in range(runs):
        term = next(cycle)
        started = time.perf_counter()
        function(term)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), percentile(times, 0.95)


class Bench:
    def __init__(self, args):
        from django.db import connection

        from search.backends import get_backend
        from search.backends.base import Audience

        self.args = args
        self.connection = connection
        self.vendor = connection.vendor
        self.backend = get_backend()
        self.cast = None
        self.network_ids = None
        self.audience = None
        self.Audience = Audience

    # --- data ---------------------------------------------------------------------------------------------

    def existing(self):
        from qa_site.knowledge.models import QuestionPage

        return QuestionPage.objects.count()

    def grow(self, size):
        """Generate answers up to ``size`` (our index follows through the bulk signal's jobs) and add the new
        pages to Wagtail's stock index, as publishing them one by one would have."""
        from django.db import transaction

        current = self.existing()
        if current < size:
            generate_qa.generate(size - current, seed=self.args.seed, start=current)
        self.stock_catch_up()
        with transaction.atomic():
            self.setup_people()
        if self.vendor == "postgresql":
            # As autovacuum leaves a table a minute after a bulk load: statistics for the planner, visibility map.
            with self.connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")

    def stock_wanted(self, size):
        return self.vendor != "sqlite" or size <= self.args.stock_max

    def stock_catch_up(self):
        """Add the answers missing from Wagtail's stock index to it, a thousand at a time — with the question
        and the answer as well as the title, as the stock backend searched them before issue 5 (the answer
        pages now give it their title only), so that both engines search the same text."""
        from django.contrib.contenttypes.models import ContentType
        from tqdm import tqdm
        from wagtail.models import Page
        from wagtail.search import index
        from wagtail.search.backends import get_search_backend
        from wagtail.search.models import IndexEntry

        from qa_site.knowledge.models import QuestionPage

        QuestionPage.search_fields = Page.search_fields + [
            index.SearchField("question_text"),
            index.SearchField("answer"),
        ]

        content_type = ContentType.objects.get_for_model(QuestionPage)
        indexed = {
            int(pk) for pk in IndexEntry.objects.filter(content_type=content_type).values_list("object_id", flat=True)
        }
        missing = [pk for pk in QuestionPage.objects.order_by("pk").values_list("pk", flat=True) if pk not in indexed]
        backend = get_search_backend()
        with tqdm(total=len(missing), desc="Wagtail's stock index", unit="answer", disable=None) as bar:
            for start in range(0, len(missing), 1000):
                batch = list(QuestionPage.objects.filter(pk__in=missing[start : start + 1000]))
                backend.add_bulk(QuestionPage, batch)
                bar.update(len(batch))

    def setup_people(self):
        """An adviser of one network (the reader), a coordinator and an expert for publishing."""
        from django.contrib.auth import get_user_model
        from django.utils import timezone

        from qa_site.knowledge.setup import ensure_coordinators_group
        from subscriptions.models import Membership, Plan, Subscription

        if self.cast:
            return
        topics, experts, networks = generate_qa.ensure_cast()
        users = get_user_model()
        network = networks[sorted(networks)[0]]
        plan, _ = Plan.objects.get_or_create(slug="bench", defaults={"name": "Bench", "annual_price": 1200})
        today = timezone.localdate()
        if not Subscription.objects.filter(network=network).exists():
            Subscription.objects.create(
                network=network,
                plan=plan,
                starts_on=today - dt.timedelta(days=30),
                ends_on=today + dt.timedelta(days=300),
            )
        adviser, _ = users.objects.get_or_create(email="bench-adviser@bench.test", defaults={"first_name": "Ada"})
        Membership.objects.get_or_create(network=network, user=adviser)
        coordinator, _ = users.objects.get_or_create(email="bench-coordinator@bench.test", defaults={"is_staff": True})
        coordinator.groups.add(ensure_coordinators_group())
        topic = topics[sorted(topics)[0]]
        expert = next(iter(experts.values()))
        self.cast = {
            "network": network,
            "adviser": adviser,
            "coordinator": coordinator,
            "topic": topic,
            "expert": expert,
        }
        self.audience = self.Audience(network_ids=frozenset({network.pk}))

    # --- measurements -------------------------------------------------------------------------------------

    def floor_query(self):
        cursor = self.connection.cursor()
        if self.vendor == "sqlite":
            from search.text import query_words

            def floor(term):
                match = " ".join(f'"{word}"' for word in query_words(term))
                cursor.execute(
                    "SELECT rowid FROM qa_search_fts WHERE qa_search_fts MATCH %s ORDER BY rank LIMIT 10", [match]
                )
                return cursor.fetchall()

        else:

            def floor(term):
                cursor.execute(
                    "SELECT page_id FROM qa_search_entry, plainto_tsquery('english', %s) q WHERE document @@ q "
                    "ORDER BY ts_rank_cd(document, q) DESC LIMIT 10",
                    [term],
                )
                return cursor.fetchall()

        return floor

    def search_figures(self, size):
        floor = self.floor_query()
        rows = []
        for _key, label, terms in BANDS:
            runs = self.args.runs
            ours = timed(lambda term: self.backend.search(term, audience=self.audience, facets=False), terms, runs)
            bare = timed(floor, terms, runs)
            faceted = timed(lambda term: self.backend.search(term, audience=self.audience), terms, max(10, runs // 2))
            everyone = self.Audience(everything=True)
            matches = statistics.mean(self.backend.search(t, audience=everyone, facets=False).total for t in terms)
            stock = self.stock_figure(terms, size)
            rows.append((size, label, matches / size, ours, bare, faceted, stock))
        return rows

    def stock_figure(self, terms, size):
        if not self.stock_wanted(size):
            return None
        from qa_site.knowledge.models import QuestionPage

        # Not warmed on SQLite: a query there can take minutes, and it is no faster the second time.
        search = lambda term: list(QuestionPage.objects.live().search(term)[:10])  # noqa: E731
        return timed(search, terms, self.args.stock_runs, warm=self.vendor != "sqlite")

    def publish_figure(self):
        """Median ms to publish one new answer through the coordinators' service (and its after-commit jobs)."""
        from django.db import transaction
        from django.utils import timezone

        from qa_site.knowledge import services
        from qa_site.knowledge.models import Answer, Question

        cast, times = self.cast, []
        for n in range(self.args.publishes + 1):
            now = timezone.now()
            question = Question.objects.create(
                title=f"Bench question {now.timestamp()} {n}",
                details="Can we reimburse volunteer drivers for mileage at the approved rate?",
                topic=cast["topic"],
                asker=cast["adviser"],
                network=cast["network"],
                visibility="public",
                status=Question.Status.ANSWERED,
                assignee=cast["expert"],
                sla_hours=48,
                submitted_at=now,
                answered_at=now,
            )
            Answer.objects.create(
                question=question,
                author=cast["expert"],
                body="Yes: volunteer drivers may be paid the approved mileage rate without tax.",
                submitted_at=now,
            )
            started = time.perf_counter()
            with transaction.atomic():
                services.question_publish(
                    question_id=question.pk,
                    actor=cast["coordinator"],
                    title=f"Mileage for volunteer drivers {n} ({now.timestamp()})",
                    question_text=question.details,
                    answer_text="Yes: volunteer drivers may be paid the approved mileage rate without tax.",
                )
            if n:  # the first is a warm-up
                times.append((time.perf_counter() - started) * 1000)
        return statistics.median(times)


def _ms(pair):
    return "—" if pair is None else f"{pair[0]:7.1f}/{pair[1]:7.1f}"


def report(bench, rows, publishes):
    vendor = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}.get(bench.vendor, bench.vendor)
    version = (
        bench.connection.cursor().connection.execute("SELECT sqlite_version()").fetchone()[0]
        if bench.vendor == "sqlite"
        else bench.connection.pg_version
    )
    print(
        f"\nSearch on {vendor} {version} — reader: an adviser of one network; ms p50/p95 "
        f"({bench.args.runs} runs; +facets {max(10, bench.args.runs // 2)}; stock {bench.args.stock_runs})\n"
    )
    header = (
        f"{'answers':>8}  {'query':<20} {'matches':>8}  {'ours':>15}  {'floor':>15}  {'ours÷floor':>10}  "
        f"{'ours+facets':>15}  {'stock Wagtail':>15}"
    )
    print(header)
    print("-" * len(header))
    for size, label, share, ours, bare, faceted, stock in rows:
        print(
            f"{size:>8,}  {label:<20} {share:>7.1%}  {_ms(ours)}  {_ms(bare)}  {ours[0] / bare[0]:>9.2f}×  "
            f"{_ms(faceted)}  {_ms(stock)}"
        )
    if bench.vendor == "sqlite" and any(stock is None for *_, stock in rows):
        print(f"(stock Wagtail: not measured above {bench.args.stock_max:,} answers on SQLite — see --stock-max)")
    print(
        "\nPublishing one answer (coordinator's service; median of "
        f"{bench.args.publishes}): " + ", ".join(f"{size:,}: {ms:.1f} ms" for size, ms in publishes)
    )
    if len(publishes) > 1:
        (small, small_ms), (large, large_ms) = publishes[0], publishes[-1]
        print(f"At {large:,} answers publishing costs {large_ms / small_ms:.2f}× what it costs at {small:,}.")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--runs", type=int, default=50, help="runs per search figure (default 50)")
    parser.add_argument("--stock-runs", type=int, default=3, help="runs per stock-backend figure (default 3)")
    parser.add_argument("--stock-max", type=int, default=10_000, help="largest size for the stock backend on SQLite")
    parser.add_argument("--publishes", type=int, default=15, help="answers published per size (default 15)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--database-url",
        default=f"sqlite:///{ROOT / 'var' / 'bench' / 'search.sqlite3'}",
        help="bench database (default var/bench/search.sqlite3; PostgreSQL databases are created if missing)",
    )
    parser.add_argument("--reuse", action="store_true", help="keep the answers already in the bench database")
    args = parser.parse_args()
    if sorted(args.sizes) != args.sizes or args.sizes[0] < 100:
        parser.error("--sizes must be increasing and at least 100")

    generate_qa._prepare_database(args.database_url, fresh=not args.reuse)
    os.environ["DJANGO_SETTINGS_MODULE"] = "qa_site.settings.dev"
    import django
    from django.conf import settings

    django.setup()
    settings.DEBUG = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    bench = Bench(args)
    rows, publishes, loads = [], [], []
    for size in args.sizes:
        if bench.existing() > size:
            print(f"The bench database already has more than {size:,} answers: skipping that size.")
            continue
        bench.grow(size)
        print(f"Measuring at {size:,} answers…", flush=True)
        rows += bench.search_figures(size)
        publishes.append((size, bench.publish_figure()))
        loads.append((size, os.getloadavg()[0]))
    report(bench, rows, publishes)
    print("Load average (1 minute) as each size finished: " + ", ".join(f"{s:,}: {load:.1f}" for s, load in loads))


if __name__ == "__main__":
    main()
