"""What routing a question and sweeping the SLA clock cost as the number of questions grows.

Builds a scratch database (a throw-away test database: in-memory SQLite, or PostgreSQL when DATABASE_URL
is set) and grows it to each size with open and closed questions (bulk-inserted; most are closed, as in
a real service). At each size it measures, in the same run:

- routing one new question (eligible experts, fairness, the assignment) — milliseconds and SQL queries;
- the sweep with nothing due, with 10 due and with 100 due (half reminders, half breaches), so the ratio
  shows whether its cost follows what is due or the total;
- the query plan of the sweep's two reads, to show they use the partial indexes.

    .venv/bin/python bench/sla.py                       # sizes 1000 10000 100000
    .venv/bin/python bench/sla.py --sizes 1000 10000
"""

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qa_site.settings.test")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_databases, teardown_databases  # noqa: E402
from django.utils import timezone  # noqa: E402
from tqdm import tqdm  # noqa: E402

from experts import routing, sla  # noqa: E402
from experts.models import ExpertProfile  # noqa: E402
from qa_site.knowledge.models import Question, TopicPage  # noqa: E402
from qa_site.knowledge.setup import ensure_site_tree  # noqa: E402
from subscriptions.models import Membership, Network, Plan, Subscription  # noqa: E402

EXPERTS = 40
OPEN_PER_EXPERT = 5  # experts work under a cap, so open questions stay few while history grows
CLOSED_STATUSES = ["published"] * 8 + ["withdrawn", "rejected"]


def build_cast():
    users = get_user_model()
    _, index = ensure_site_tree()
    topic = TopicPage(title="Charity law", slug="charity-law")
    index.add_child(instance=topic)
    topic.save_revision().publish()
    plan = Plan.objects.create(slug="standard", name="Standard", annual_price=1200, sla_hours=48)
    network = Network.objects.create(name="Bench", slug="bench")
    today = timezone.localdate()
    Subscription.objects.create(
        network=network, plan=plan, starts_on=today - dt.timedelta(days=30), ends_on=today + dt.timedelta(days=300)
    )
    asker = users.objects.create_user(email="asker@bench.test", password="x")
    Membership.objects.create(network=network, user=asker)
    users.objects.create_user(email="coordinator@bench.test", password="x", is_staff=True)
    experts = []
    for n in range(EXPERTS):
        user = users.objects.create_user(email=f"expert{n}@bench.test", password="x", first_name=f"Expert{n}")
        profile = ExpertProfile.objects.create(
            user=user, slug=f"expert-{n}", headline="Bench", max_open_questions=30_000
        )
        profile.topics.set([topic])
        experts.append(user)
    return {"topic": topic, "network": network, "asker": asker, "experts": experts}


def grow(cast, start, stop):
    """Questions start..stop-1: the first EXPERTS × OPEN_PER_EXPERT open and far from due, the rest closed."""
    now = timezone.now()
    batch = []
    for n in range(start, stop):
        expert = cast["experts"][n % EXPERTS]
        is_open = n < EXPERTS * OPEN_PER_EXPERT
        asked = now - dt.timedelta(hours=(n % 2000) + 1)
        batch.append(
            Question(
                title=f"Question {n}",
                details="Details.",
                topic=cast["topic"],
                network=cast["network"],
                asker=cast["asker"],
                visibility="public",
                sla_hours=48,
                submitted_at=asked,
                assignee=expert,
                status="assigned" if is_open else CLOSED_STATUSES[n % len(CLOSED_STATUSES)],
                sla_running=is_open,
                warn_at=now + dt.timedelta(days=30),
                due_at=now + dt.timedelta(days=40),
                answered_at=None if is_open else asked + dt.timedelta(hours=5),
                sla_met=None if is_open else n % 7 != 0,
            )
        )
        if len(batch) == 5000:
            Question.objects.bulk_create(batch)
            batch = []
    if batch:
        Question.objects.bulk_create(batch)


def timed(func, repeat=5):
    times, queries = [], 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            func()
            times.append((time.perf_counter() - started) * 1000)
        queries = len(ctx.captured_queries)
    return statistics.median(times), queries


def route_one(cast):
    question = Question.objects.create(
        title="New question",
        details="Details.",
        topic=cast["topic"],
        network=cast["network"],
        asker=cast["asker"],
        visibility="public",
        sla_hours=48,
        warn_at=timezone.now() + dt.timedelta(days=3),
        due_at=timezone.now() + dt.timedelta(days=4),
    )
    return lambda: routing.route_question(Question.objects.select_related("topic").get(pk=question.pk))


def make_due(count, now):
    """Put ``count`` open questions due for the sweep (half at risk, half breached), claims cleared."""
    count = min(count, EXPERTS * OPEN_PER_EXPERT)
    Question.objects.filter(sla_running=True).update(
        warn_at=now + dt.timedelta(days=30),
        due_at=now + dt.timedelta(days=40),
        reminder_sent_at=None,
        breach_alerted_at=None,
    )
    ids = list(Question.objects.filter(sla_running=True, status="assigned").values_list("pk", flat=True)[:count])
    half = len(ids) // 2
    Question.objects.filter(pk__in=ids[:half]).update(
        warn_at=now - dt.timedelta(minutes=5), due_at=now + dt.timedelta(hours=3)
    )
    Question.objects.filter(pk__in=ids[half:]).update(
        warn_at=now - dt.timedelta(hours=5), due_at=now - dt.timedelta(minutes=5)
    )


def sweep_cost(due, now):
    runs = []
    for _ in range(3):
        make_due(due, now)
        runs.append(timed(lambda: sla.sweep(now=now), repeat=1))
    return statistics.median(r[0] for r in runs), runs[0][1]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    args = parser.parse_args()
    if sorted(args.sizes) != args.sizes or args.sizes[0] < 200:
        parser.error("--sizes must be increasing and at least 200")

    old_config = setup_databases(verbosity=0, interactive=False)
    try:
        cast = build_cast()
        now = timezone.now()
        rows, done = [], 0
        for size in tqdm(args.sizes, desc="sizes", disable=None):
            grow(cast, done, size)
            done = size
            route_ms, route_q = timed(route_one(cast), repeat=1)
            # Route five more and take the median, each a fresh question.
            route_runs = [timed(route_one(cast), repeat=1) for _ in range(5)]
            route_ms = statistics.median(r[0] for r in route_runs)
            none_ms, none_q = sweep_cost(0, now)
            ten_ms, ten_q = sweep_cost(10, now)
            hundred_ms, hundred_q = sweep_cost(100, now)
            rows.append((size, route_ms, route_runs[0][1], none_ms, none_q, ten_ms, ten_q, hundred_ms, hundred_q))

        print(
            f"\nRouting and the SLA sweep by number of questions ({connection.vendor}; {EXPERTS} experts on the "
            f"topic; {EXPERTS * OPEN_PER_EXPERT} open, the rest closed; ms median; q = SQL queries)\n"
        )
        header = (
            f"{'questions':>10} {'route one':>16} {'sweep, 0 due':>16} {'sweep, 10 due':>16} "
            f"{'sweep, 100 due':>17} {'100 due ÷ 10 due':>17}"
        )
        print(header)
        print("-" * len(header))
        for size, rms, rq, n_ms, n_q, t_ms, t_q, h_ms, h_q in rows:
            print(
                f"{size:>10} {rms:9.1f} ms {rq:3d}q {n_ms:9.1f} ms {n_q:3d}q {t_ms:9.1f} ms {t_q:3d}q "
                f"{h_ms:9.1f} ms {h_q:4d}q {h_ms / t_ms:16.1f}×"
            )
        first, last = rows[0], rows[-1]
        print(
            f"\nFrom {first[0]:,} to {last[0]:,} questions ({last[0] / first[0]:.0f}× as many): routing "
            f"{last[1] / first[1]:.1f}×, sweep with 10 due {last[5] / first[5]:.1f}×, "
            f"with nothing due {last[3] / first[3]:.1f}×."
        )
        print("\nQuery plans of the sweep's reads:")
        for name, queryset in (("reminders", sla.due_for_reminder(now)), ("breaches", sla.due_for_breach(now))):
            plan = queryset.order_by().values("pk").explain()
            print(f"  {name}: " + " | ".join(line.strip() for line in plan.splitlines() if line.strip()))
    finally:
        teardown_databases(old_config, verbosity=0)


if __name__ == "__main__":
    main()
