"""How the main pages cost as the knowledge base grows.

Builds a scratch database (a throw-away test database: in-memory SQLite, or PostgreSQL when DATABASE_URL
is set), fills it to each size with answers made from the demo content, and requests each page through
Django's test client. Prints, per size: median and 95th-percentile milliseconds, SQL queries per request,
and the median as a ratio of a baseline page measured in the same run (/subscribe/: the plans and the form a
network joins with, two small queries; before the joining form it was one query and a template, so ratios in
older figures are against a cheaper page). Also times publishing one answer at each size.

    .venv/bin/python bench/pages.py                 # sizes 100 and 1000
    .venv/bin/python bench/pages.py --sizes 100 500 2000 --repeat 40
"""

import argparse
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

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_databases, teardown_databases  # noqa: E402
from django.utils import timezone  # noqa: E402
from tqdm import tqdm  # noqa: E402

from experts.models import ExpertProfile  # noqa: E402
from qa_site.demo.people import load_topics  # noqa: E402
from qa_site.knowledge import services  # noqa: E402
from qa_site.knowledge.models import Question, QuestionPage, TopicPage  # noqa: E402
from qa_site.knowledge.setup import ensure_coordinators_group, ensure_site_tree  # noqa: E402
from subscriptions.models import Membership, Network, Plan, Subscription  # noqa: E402


def build_cast():
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    home, index = ensure_site_tree()
    plan = Plan.objects.create(slug="standard", name="Standard", annual_price=1200, sla_hours=48)
    network = Network.objects.create(name="Bench network", slug="bench")
    today = timezone.localdate()
    Subscription.objects.create(
        network=network,
        plan=plan,
        starts_on=today.replace(year=today.year - 1),
        ends_on=today.replace(year=today.year + 1),
    )
    adviser = user_model.objects.create_user(email="adviser@bench.test", password="x", first_name="Ada")
    Membership.objects.create(network=network, user=adviser)
    coordinator = user_model.objects.create_user(email="coordinator@bench.test", password="x", is_staff=True)
    coordinator.groups.add(ensure_coordinators_group())
    content = load_topics()
    topics, experts = [], []
    for item in content:
        topic = TopicPage(title=item["name"], slug=item["slug"], description=item["description"])
        index.add_child(instance=topic)
        topic.save_revision().publish()
        expert_user = user_model.objects.create_user(
            email=f"{item['slug']}@bench.test", password="x", first_name=item["name"].split()[0], last_name="Expert"
        )
        profile = ExpertProfile.objects.create(
            user=expert_user, slug=item["slug"], headline="Bench expert", max_open_questions=10_000
        )
        profile.topics.set([topic])
        topics.append(topic)
        experts.append(expert_user)
    return {
        "network": network,
        "adviser": adviser,
        "coordinator": coordinator,
        "content": content,
        "topics": topics,
        "experts": experts,
    }


def add_answers(cast, start, stop):
    """Published answers numbered start..stop-1, cycling through the demo content."""
    content, topics, experts = cast["content"], cast["topics"], cast["experts"]
    for n in tqdm(range(start, stop), desc=f"answers {start}→{stop}", unit="answer", leave=False, disable=None):
        t = n % len(topics)
        item = content[t]["answered"][(n // len(topics)) % len(content[t]["answered"])]
        question = Question.objects.create(
            title=f"{item['title'][:180]} ({n})",
            details=item["details"],
            topic=topics[t],
            asker=cast["adviser"],
            network=cast["network"],
            visibility="public",
            status="published",
            assignee=experts[t],
            sla_hours=48,
        )
        page = QuestionPage(
            title=question.title,
            question=question,
            question_text=item["details"],
            answer=item["answer"],
            expert=experts[t],
            visibility="public",
        )
        topics[t].add_child(instance=page)
        page.save_revision().publish()


def measure(client, path, repeat):
    client.get(path)  # warm up
    times, queries = [], 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
        queries = len(ctx.captured_queries)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))], queries


def time_publish(cast):
    """Milliseconds to take one question from answered to published (the coordinator's click)."""
    topic, expert = cast["topics"][0], cast["experts"][0]
    question = Question.objects.create(
        title="Bench publish question",
        details="d" * 40,
        topic=topic,
        asker=cast["adviser"],
        network=cast["network"],
        visibility="public",
        status="assigned",
        assignee=expert,
        sla_hours=48,
    )
    services.answer_submit(question_id=question.pk, expert=expert, body="A bench answer. " * 50)
    started = time.perf_counter()
    services.question_publish(
        question_id=question.pk,
        actor=cast["coordinator"],
        title="Bench publish question",
        question_text="d" * 40,
        answer_text="A bench answer. " * 50,
    )
    return (time.perf_counter() - started) * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    if sorted(args.sizes) != args.sizes or args.sizes[0] < 1:
        parser.error("--sizes must be positive and increasing")

    old_config = setup_databases(verbosity=0, interactive=False)
    try:
        cast = build_cast()
        topic_url = cast["topics"][0].url
        anonymous, adviser = Client(), Client()
        adviser.force_login(cast["adviser"])
        rows = {}
        done = 0
        for size in args.sizes:
            add_answers(cast, done, size)
            done = size
            page_url = QuestionPage.objects.live().order_by("-pk").first().url
            cases = [
                ("baseline /subscribe/", anonymous, "/subscribe/"),
                ("home (adviser)", adviser, "/"),
                ("topic index", adviser, "/topics/"),
                ("topic page (adviser)", adviser, topic_url),
                ("answer page (adviser, full)", adviser, page_url),
                ("answer page (public, teaser)", anonymous, page_url),
                ("search 'volunteer' (adviser)", adviser, "/search/?q=volunteer"),
                ("RSS feed (20 items)", anonymous, "/feeds/latest.rss"),
                ("my questions (adviser)", adviser, "/questions/"),
            ]
            for name, client, path in tqdm(cases, desc=f"measuring at {size}", leave=False, disable=None):
                rows.setdefault(name, {})[size] = measure(client, path, args.repeat)
            rows.setdefault("publish one answer (service)", {})[size] = (time_publish(cast), None, None)

        backend = connection.vendor
        print(
            f"\nPage cost by knowledge-base size ({backend}; {args.repeat} requests each; "
            "ms median / p95; queries per request; × = median ÷ baseline median)\n"
        )
        header = f"{'page':34}" + "".join(f"{f'N={s}':>30}" for s in args.sizes)
        print(header)
        print("-" * len(header))
        for name, by_size in rows.items():
            cells = []
            for size in args.sizes:
                median, p95, queries = by_size[size]
                if p95 is None:
                    cells.append(f"{median:8.1f} ms{'':19}")
                    continue
                baseline = rows["baseline /subscribe/"][size][0]
                cells.append(f"{median:6.1f}/{p95:6.1f} ms {queries:3d} q {median / baseline:5.1f}×")
            print(f"{name:34}" + "".join(f"{c:>30}" for c in cells))
    finally:
        teardown_databases(old_config, verbosity=0)


if __name__ == "__main__":
    main()
