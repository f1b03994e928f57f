"""Soak: the production process set under steady use, with Redis killed once in the middle.

Starts the Procfile's processes (``release``, then ``web``, ``worker``, ``scheduler``) against a scratch PostgreSQL
database, a private redis-server and an SMTP sink — the process tests' harness, ``tests/processes/harness.py`` —
then for ``--seconds`` drives them over HTTP with:

- advisers (the demo's advisers of live networks) asking questions at ``/ask/``, each every few seconds;
- the expert answering: once the e-mail telling her of a question has arrived, accepting it on the dashboard and
  answering it;
- the coordinator publishing each answer from the review screen;
- readers browsing anonymously: home, a topic, answer pages, search, the feed, the expert panel.

At ``--outage-at`` seconds Redis is SIGKILLed, and started again (empty, as after a crash) ``--outage`` seconds
later. Once the time is up, asking and reading stop; the expert and coordinator carry on until every question asked
is published (or ``--drain`` seconds pass). Then it prints: requests and errors by status (server errors inside and
outside the outage window), questions asked / routed / published, e-mails expected and received (missing and
duplicated), outbox messages not done, and p50 / p95 milliseconds per page. Figures go to docs/performance.md.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/soak.py
    .venv/bin/python bench/soak.py --seconds 300 --advisers 6 --readers 6 --outage-at 100 --outage 30

DATABASE_URL names the PostgreSQL server (the scratch database is made beside the one it names; without it,
postgres://postgres@127.0.0.1:5432/postgres). Needs Debian's redis-server.
"""

import argparse
import json
import os
import random
import re
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from tests.processes.harness import Stack, Visitor, skip_reason  # noqa: E402

EXPERT = "expert@demo.test"
COORDINATOR = "coordinator@demo.test"
ADVISERS = [  # the demo's advisers whose networks' subscriptions are live
    "adviser@demo.test",
    "owen.price@demo.test",
    "grace.adeyemi@demo.test",
    "zara.khan@demo.test",
    "ben.ostrowski@demo.test",
    "hannah.moyo@demo.test",
]
TOPIC = "Charity law and governance"  # Helen Carter (expert@demo.test) answers it
DETAILS = "We are a small charity with six trustees and want to get this right before our annual meeting."
ANSWER = (
    "Yes, provided your governing document allows it and the trustees who benefit take no part in the decision. "
    "Record the decision and the reasons for it in the minutes, and review it each year at your annual meeting."
)
STACK_ENV = {
    "RATE_LIMIT_ASK": "100000/h",  # the soak asks far faster than any person would
    "WEB_CONCURRENCY": "4",
    "RQ_JOB_TIMEOUT": "30",
    "OUTBOX_LEASE_SECONDS": "60",
}
PAGES = [  # (label, pattern of the path, method or None for any)
    ("home", r"^/$", "GET"),
    ("sign in", r"^/accounts/login/$", None),
    ("ask (form)", r"^/ask/$", "GET"),
    ("ask (send)", r"^/ask/$", "POST"),
    ("adviser's question", r"^/questions/\d+/$", "GET"),
    ("search", r"^/search/$", "GET"),
    ("feed", r"^/feeds/", "GET"),
    ("experts panel", r"^/experts/$", "GET"),
    ("expert dashboard", r"^/experts/dashboard/$", None),
    ("expert accept", r"^/experts/questions/\d+/accept/$", "POST"),
    ("expert question", r"^/experts/questions/\d+/$", None),
    ("review list", r"^/admin/questions/review/$", "GET"),
    ("review and publish", r"^/admin/questions/review/\d+/$", None),
    ("answer page", r"^/.+/.+/$", "GET"),  # topic pages and answers (after the specific ones above)
]


def label_of(method, path):
    for label, pattern, wanted in PAGES:
        if (wanted is None or wanted == method) and re.search(pattern, path):
            return label
    return f"other {method}"


class Recorder:
    """Every HTTP exchange of the run: (label, status or error, milliseconds, seconds since the start)."""

    def __init__(self):
        self.started = time.monotonic()
        self.rows = []
        self.lock = threading.Lock()

    def now(self):
        return time.monotonic() - self.started

    def hook(self, response, *args, **kwargs):
        request = response.request
        path = requests.utils.urlparse(request.url).path
        self.add(label_of(request.method, path), response.status_code, response.elapsed.total_seconds() * 1000)

    def add(self, label, status, ms):
        with self.lock:
            self.rows.append((label, status, ms, self.now()))


def person(stack, recorder, email=None):
    visitor = Visitor(stack.base_url, timeout=30)
    visitor.session.hooks["response"].append(recorder.hook)
    if email:
        visitor.sign_in(email)
    return visitor


def guarded(recorder, name, errors):
    """Run one step of an actor; a failure is counted (with what it was), not fatal to the run."""

    def run(step, *args, **kwargs):
        try:
            return step(*args, **kwargs)
        except requests.RequestException as exc:
            recorder.add(f"{name}: no answer", "error", 0.0)
            errors[f"{name}: {type(exc).__name__}"] += 1
        except AssertionError as exc:  # a form that was not there (a 5xx page), a refusal
            errors[f"{name}: {str(exc).splitlines()[0][:120]}"] += 1
        return None

    return run


def adviser_loop(stack, recorder, email, asked, stop, errors, pace):
    visitor = person(stack, recorder, email)
    step = guarded(recorder, "adviser", errors)
    number = 0
    while not stop.is_set():
        number += 1
        title = f"Soak {email.split('@')[0]} #{number}: may our trustees be paid for running training?"

        def ask(title=title):
            form, _ = visitor.form("/ask/", having="title")
            response = visitor.submit(
                "/ask/",
                having="title",
                title=title,
                details=DETAILS,
                topic=form.option("topic", TOPIC),
                visibility="public",
            )
            if "Thank you: your question has been sent." in response.text:
                asked.append((title, recorder.now()))
                visitor.get(response.url.replace(stack.base_url, ""))  # looks at it, as people do

        step(ask)
        stop.wait(random.uniform(pace * 0.5, pace * 1.5))
    visitor.close()


def expert_loop(stack, recorder, stop, errors):
    """The expert works from her e-mail: she answers a question once its "New question for you" has arrived, so a
    question whose e-mail never came is never answered (and shows up as not published)."""
    visitor = person(stack, recorder, EXPERT)
    step = guarded(recorder, "expert", errors)
    prefix = "New question for you: "
    while not stop.is_set():
        told = [mail.subject[len(prefix) :] for mail in stack.sink.mails() if mail.subject.startswith(prefix)]
        waiting = stack.database.rows(
            "SELECT q.id, q.accepted_at IS NOT NULL FROM knowledge_question q JOIN accounts_user u"
            " ON u.id = q.assignee_id WHERE u.email = %s AND q.status = 'assigned' AND q.title = ANY(%s)"
            " ORDER BY q.due_at LIMIT 5",
            [EXPERT, told],
        )
        step(visitor.get, "/experts/dashboard/")
        for question_id, accepted in waiting:
            if not accepted:
                step(visitor.submit, "/experts/dashboard/", form_action=f"/experts/questions/{question_id}/accept/")
            step(visitor.submit, f"/experts/questions/{question_id}/", having="body", action="submit", body=ANSWER)
        stop.wait(1.0)
    visitor.close()


def coordinator_loop(stack, recorder, stop, errors):
    visitor = person(stack, recorder, COORDINATOR)
    step = guarded(recorder, "coordinator", errors)
    while not stop.is_set():
        answered = stack.database.rows(
            "SELECT id FROM knowledge_question WHERE status = 'answered' AND title LIKE 'Soak %%' ORDER BY id LIMIT 5"
        )
        step(visitor.get, "/admin/questions/review/")
        for (question_id,) in answered:
            step(visitor.submit, f"/admin/questions/review/{question_id}/", having="title", action="publish")
        stop.wait(1.5)
    visitor.close()


def reader_loop(stack, recorder, paths, stop, errors):
    visitor = person(stack, recorder)
    step = guarded(recorder, "reader", errors)
    while not stop.is_set():
        step(visitor.get, random.choice(paths))
        stop.wait(random.uniform(0.05, 0.3))
    visitor.close()


def reading_list(stack):
    """Pages a reader visits: fixed ones, and the answers and topics the feed links to."""
    feed = requests.get(stack.base_url + "/feeds/latest.rss", timeout=30).text
    answers = [requests.utils.urlparse(link).path for link in re.findall(r"<link>([^<]+)</link>", feed)[1:11]]
    topics = sorted({path.rstrip("/").rsplit("/", 1)[0] + "/" for path in answers})
    queries = ["trustees", "volunteer expenses", "gift aid", "minibus permit", "safeguarding policy"]
    return ["/", "/experts/", "/feeds/latest.rss", *[f"/search/?q={q}" for q in queries], *topics, *answers]


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def report(stack, recorder, asked, errors, outage, args, setup_seconds):
    titles = [title for title, _ in asked]
    states = dict(
        stack.database.rows(
            "SELECT title, status FROM knowledge_question WHERE title = ANY(%s)",
            [titles],
        )
    )
    routed = sum(1 for title in titles if states.get(title) in ("assigned", "answered", "published"))
    published = sum(1 for title in titles if states.get(title) == "published")
    mails = stack.sink.mails()
    subjects = Counter((mail.subject, tuple(sorted(mail.recipients))) for mail in mails)
    expected = {}
    for title in titles:
        if states.get(title) != "submitted":  # routed: the expert is told once
            expected[(f"New question for you: {title}", (EXPERT,))] = 1
        if states.get(title) == "published":  # published: the adviser is told once
            adviser = stack.database.value(
                "SELECT u.email FROM knowledge_question q JOIN accounts_user u ON u.id = q.asker_id WHERE q.title = %s",
                [title],
            )
            expected[(f"Answered: {title}", (adviser,))] = 1
    missing = [key for key in expected if subjects.get(key, 0) == 0]
    expected_twice = [key for key in expected if subjects.get(key, 0) > 1]
    duplicates = stack.sink.duplicates()
    outbox = dict(stack.database.rows("SELECT state, count(*) FROM outbox_outboxmessage GROUP BY state"))

    start, end = outage
    by_status = Counter(status for _, status, _, _ in recorder.rows)
    server_errors = [row for row in recorder.rows if row[1] == "error" or (isinstance(row[1], int) and row[1] >= 500)]
    in_outage = [row for row in server_errors if start <= row[3] <= end]
    outside = [row for row in server_errors if not start <= row[3] <= end]
    per_page = defaultdict(list)
    for label, status, ms, _ in recorder.rows:
        if isinstance(status, int):
            per_page[label].append(ms)

    print()
    restart = start + args.outage
    print(f"Soak: {args.seconds} s of load, Redis killed at {start:.0f} s and started again at {restart:.0f} s")
    people = f"advisers {args.advisers}, readers {args.readers}, 1 expert, 1 coordinator"
    print(f"  {people}; stack up in {setup_seconds:.0f} s")
    print(f"  requests: {len(recorder.rows)}   by status: {dict(sorted(by_status.items(), key=str))}")
    print(
        f"  server errors (5xx or no answer): {len(server_errors)} — in the outage window "
        f"({start:.0f}–{end:.0f} s): {len(in_outage)}, outside it: {len(outside)}"
    )
    if outside:
        print(f"    outside: {Counter((row[0], row[1]) for row in outside).most_common(8)}")
    for subject, to in missing[:5]:
        print(f"    missing: {subject} to {', '.join(to)}")
    if errors:
        print(f"  steps that did not complete: {dict(errors.most_common(10))}")
    print(f"  questions asked: {len(titles)}   routed: {routed}   published: {published}")
    print(
        f"  e-mails expected: {len(expected)}   received of those: {len(expected) - len(missing)}   "
        f"missing: {len(missing)}   sent twice: {len(expected_twice)}   duplicates of any e-mail: {len(duplicates)}"
    )
    print(f"  outbox at the end: {dict(outbox)}")
    print()
    print(f"  {'page':<22}{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}")
    for label, values in sorted(per_page.items(), key=lambda item: -len(item[1])):
        print(f"  {label:<22}{len(values):>9}{statistics.median(values):>9.1f}{percentile(values, 0.95):>9.1f}")
    return {
        "seconds": args.seconds,
        "advisers": args.advisers,
        "readers": args.readers,
        "outage": {"start": round(start, 1), "restart": round(start + args.outage, 1), "window_end": round(end, 1)},
        "requests": len(recorder.rows),
        "by_status": {str(key): value for key, value in by_status.items()},
        "server_errors": {"in_outage": len(in_outage), "outside": len(outside)},
        "steps_not_completed": dict(errors),
        "questions": {"asked": len(titles), "routed": routed, "published": published},
        "emails": {
            "expected": len(expected),
            "missing": len(missing),
            "sent_twice": len(expected_twice),
            "duplicates": len(duplicates),
        },
        "outbox": outbox,
        "pages": {
            label: {"requests": len(v), "p50_ms": statistics.median(v), "p95_ms": percentile(v, 0.95)}
            for label, v in per_page.items()
        },
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=180, help="seconds of load (default 180)")
    parser.add_argument("--advisers", type=int, default=4, help=f"advisers asking (at most {len(ADVISERS)})")
    parser.add_argument("--readers", type=int, default=4, help="anonymous readers browsing")
    parser.add_argument("--pace", type=float, default=3.0, help="seconds between one adviser's questions, about")
    parser.add_argument("--outage-at", type=float, default=60, help="seconds into the load when Redis is killed")
    parser.add_argument("--outage", type=float, default=20, help="seconds Redis stays down")
    parser.add_argument("--window", type=float, default=30, help="seconds after the restart still counted as outage")
    parser.add_argument("--drain", type=float, default=240, help="seconds to wait for every question to be published")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "soak.json")
    args = parser.parse_args()
    if not 1 <= args.advisers <= len(ADVISERS):
        parser.error(f"--advisers must be 1 to {len(ADVISERS)}")
    environ = {**os.environ}
    environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    reason = skip_reason(environ)
    if reason:
        sys.exit(f"Cannot run the soak: {reason}")

    directory = Path(tempfile.mkdtemp(prefix="qa-soak-"))
    print(f"Stack logs and data in {directory}", flush=True)
    stack = Stack(directory, database_url=environ["DATABASE_URL"], extra_env=STACK_ENV)
    setup = time.monotonic()
    try:
        stack.up()
        stack.database.execute("UPDATE experts_expertprofile SET max_open_questions = 10000")
        stack.database.execute("UPDATE subscriptions_plan SET question_allowance = NULL")
        stack.wait_outbox_settled(0, timeout=300)
        setup_seconds = time.monotonic() - setup
        paths = reading_list(stack)

        recorder, asked, errors = Recorder(), [], Counter()
        asking, working = threading.Event(), threading.Event()
        threads = [
            threading.Thread(target=adviser_loop, args=(stack, recorder, email, asked, asking, errors, args.pace))
            for email in ADVISERS[: args.advisers]
        ]
        threads += [
            threading.Thread(target=reader_loop, args=(stack, recorder, paths, asking, errors))
            for _ in range(args.readers)
        ]
        workers = [
            threading.Thread(target=expert_loop, args=(stack, recorder, working, errors)),
            threading.Thread(target=coordinator_loop, args=(stack, recorder, working, errors)),
        ]
        recorder.started = time.monotonic()
        for thread in threads + workers:
            thread.start()
        print(f"Load running for {args.seconds} s …", flush=True)
        time.sleep(args.outage_at)
        killed_at = recorder.now()
        stack.redis.kill()
        print(f"  {killed_at:.0f} s: Redis killed", flush=True)
        time.sleep(args.outage)
        stack.redis.start()
        restarted_at = time.time()
        print(f"  {recorder.now():.0f} s: Redis started again (empty)", flush=True)
        time.sleep(max(0, args.seconds - recorder.now()))
        asking.set()
        for thread in threads:
            thread.join()
        print(
            f"  {recorder.now():.0f} s: asking and reading stopped; waiting for every question to be published",
            flush=True,
        )
        drained = time.monotonic()
        deadline = drained + args.drain
        titles = [title for title, _ in asked]
        while time.monotonic() < deadline:
            left = stack.database.value(
                "SELECT count(*) FROM knowledge_question WHERE title = ANY(%s) AND status <> 'published'", [titles]
            )
            if not left:
                break
            time.sleep(2)
        working.set()
        for thread in workers:
            thread.join()
        print(f"  every question published {time.monotonic() - drained:.0f} s after asking stopped", flush=True)
        watermark_wait = time.monotonic()
        stack.wait_outbox_settled(0, timeout=120)
        print(
            f"  every side effect done {time.monotonic() - watermark_wait:.0f} s after publishing stopped", flush=True
        )
        time.sleep(3)  # the last e-mails reach the sink
        results = report(
            stack, recorder, asked, errors, (killed_at, killed_at + args.outage + args.window), args, setup_seconds
        )
        during = [title for title, at in asked if killed_at <= at <= killed_at + args.outage]
        routed = stack.database.rows(  # when each was routed: its first "assigned" event
            "SELECT extract(epoch FROM min(e.created_at)) - %s FROM knowledge_questionevent e"
            " JOIN knowledge_question q ON q.id = e.question_id WHERE q.title = ANY(%s) AND e.action = 'assigned'"
            " GROUP BY q.id",
            [restarted_at, during],
        )
        delays = [float(row[0]) for row in routed]
        results["asked_during_outage"] = {"questions": len(during), "routed_after_restart_max_s": max(delays or [0])}
        print(
            f"  questions asked while Redis was down: {len(during)}; routed at most "
            f"{max(delays or [0]):.1f} s after it was started again"
        )
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2))
        print(f"\nFigures written to {args.out}")
    finally:
        stack.down()


if __name__ == "__main__":
    main()
