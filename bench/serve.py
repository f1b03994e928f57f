"""Read pages as the production web server serves them, against a static file from the same server in the same run.

For each stack and size it fills a bench database (``bench/generate_qa.generate``), starts the Procfile's ``web``
process (``gunicorn qa_site.wsgi --config gunicorn.conf.py``: WEB_CONCURRENCY sync workers, on a free port of
127.0.0.1) and drives it with wrk (``-t2 -c8 --latency``; a small Python load generator if wrk is missing):

- pages: home, the topic index (/topics/), a topic page, an answer page anonymously (the teaser) and signed in as
  an adviser of a subscribing network (the full answer), search for a rare and a common word, the latest answers
  as RSS and the widget's JSON (``/embed/answers.json?key=…``); each is checked (200, and teaser or full answer as
  expected) and warmed up, so the figures are those of cached pages;
- the baseline: a static file (css/site.css through WhiteNoise, as in production), measured before every page and
  once more at the end; each page's ratio uses the mean of the static runs just before and after it.

The stacks at one size are set up and served at once, then measured in turn page by page (SQLite's static file and
home page, PostgreSQL's static file and home page, then the next page …), so that PostgreSQL ÷ SQLite compares
figures taken within a minute of each other: this machine's speed drifts by a third over a quarter of an hour, which
measuring one stack after the other showed as a difference between the stacks. Which stack goes first alternates
from page to page. ``--rounds N`` measures every page N times, round after round; a page's figure is then its
median round, against the static runs either side of that round.

Workers are not recycled during the run (``--max-requests 0`` is added to the command): a new worker loads the
application again (~2 s of CPU here), so a replacement in a 10-second measurement would measure a start-up.
gunicorn.conf.py replaces a worker after 100,000 requests (``WEB_MAX_REQUESTS``; it was 1,000, which at these rates
is every second or two). ``--max-requests config`` keeps it;
a measurement during which a worker was replaced is then marked ``*`` and its target not judged.

Stacks:

- ``sqlite``: the embedded default: a SQLite file (var/bench/serve-<size>.sqlite3), each process's own memory
  cache, jobs in-process; settings ``bench.feeds_settings`` (the development settings with DEBUG off and static
  files through WhiteNoise);
- ``postgres``: production settings (``qa_site.settings.production``) on PostgreSQL (database
  qa_bench_serve_<size>) and Redis (cache and queue: one Redis database, emptied first; 13 by default), with
  ``collectstatic`` into var/bench/serve/static (manifest storage: the hashed file name is served).

Queries per page are counted in a set-up process on the same settings and database, through Django's test
client: the second of two requests, with the same identity as the load (anonymous, or the adviser's session).
Prints, per stack and size: req/s, p50 and p99 ms, % of the static file's req/s, queries, and errors (non-2xx
responses and socket errors); then the targets, met or not; then, where both stacks ran at one size, PostgreSQL's
req/s as a share of SQLite's. The figures also go to bench/out/serve.json.

    .venv/bin/python bench/serve.py                                   # both stacks at 10,000 and 100,000 answers
    .venv/bin/python bench/serve.py --sizes 1000 --seconds 3          # a quick functional check
    .venv/bin/python bench/serve.py --stacks postgres --sizes 10000 --reuse
    .venv/bin/python bench/serve.py --sizes 10000 --max-requests config   # workers recycled as in production
    .venv/bin/python bench/serve.py --sizes 10000 --reuse --pages "answer (adviser)" "widget JSON"

``--reuse`` keeps a bench database that already holds exactly that many answers (the bench's network, adviser
and widget key are added if missing). Needs PostgreSQL at --postgres-url and Redis at --redis-url for the
``postgres`` stack (skipped, saying why, when either is not answering).
"""

import argparse
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.generate_qa import COMMON_TERMS, RARE_TERMS  # noqa: E402
from tests.processes.harness import Process, free_port, parse_procfile, process_env, with_database  # noqa: E402

BENCH_DIR = ROOT / "var" / "bench"
WORK_DIR = BENCH_DIR / "serve"  # logs, a home for each gunicorn, collected static files, set-up results
STACKS = ("sqlite", "postgres")
SQLITE_SETTINGS = "bench.feeds_settings"
PRODUCTION_SETTINGS = "qa_site.settings.production"
STATIC_NAME = "css/site.css"
ADVISER = ("adviser@serve-bench.test", "Bench", "Adviser")  # e-mail, first and last name
NETWORK = "westvale-cvs"  # one of generate_qa's networks: the adviser's, with a live subscription
PG_SIZE = 10_000  # where "PostgreSQL + Redis ≥ 0.9× SQLite" is checked
PG_RATIO = 0.9

# The pages in the order they are measured (their paths come from the set-up process); one is signed in.
PAGES = [
    "home",
    "topic index",
    "topic page",
    "answer (anonymous)",
    "answer (adviser)",
    "search rare word",
    "search common word",
    "RSS latest",
    "widget JSON",
]
SIGNED_IN = "answer (adviser)"
STATIC = "static file"
TARGETS = [  # (page, least share of the static file's req/s)
    ("answer (anonymous)", 0.50),
    ("home", 0.50),
    ("topic page", 0.50),
    ("topic index", 0.50),
    ("answer (adviser)", 0.25),
    ("search rare word", 0.10),
    ("widget JSON", 0.50),
]


class BenchError(Exception):
    """Something that stops one stack and size from being measured (said in plain words)."""


# --- The set-up process: Django on the stack's settings and database -------------------------------------------


def existing_answers(url):
    """Live answers already in the bench database at ``url``, or None when it is missing or not migrated."""
    sql = "SELECT count(*) FROM knowledge_questionpage q JOIN wagtailcore_page p ON p.id = q.page_ptr_id WHERE p.live"
    parts = urlsplit(url)
    try:
        if parts.scheme == "sqlite":
            path = Path(parts.path[1:] if parts.path.startswith("//") else parts.path)
            if not path.exists():
                return None
            with contextlib.closing(sqlite3.connect(path)) as conn:
                return conn.execute(sql).fetchone()[0]
        import psycopg

        with psycopg.connect(url, connect_timeout=5) as conn:
            return conn.execute(sql).fetchone()[0]
    except Exception:  # no such database or table yet
        return None


def ensure_adviser(network):
    """The bench's adviser, with a verified e-mail address, a member of ``network``; and a widget key of ``network``,
    whose subscription is made live on a plan with widgets if it has none. Safe to run again."""
    import datetime as dt

    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from subscriptions.models import AccessKey, Membership, Plan, Subscription

    subscription = network.current_subscription
    if subscription is None or not subscription.plan.widgets:
        plan, _ = Plan.objects.get_or_create(
            slug="bench-premium",
            defaults={"name": "Bench premium", "annual_price": 2400, "private_feeds": True, "widgets": True},
        )
        today = timezone.localdate()
        Subscription.objects.create(
            network=network, plan=plan, starts_on=today - dt.timedelta(days=10), ends_on=today + dt.timedelta(days=300)
        )
    email, first, last = ADVISER
    user = get_user_model().objects.filter(email=email).first()
    if user is None:
        user = get_user_model().objects.create_user(email=email, password=None, first_name=first, last_name=last)
    EmailAddress.objects.get_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    Membership.objects.get_or_create(network=network, user=user, defaults={"organisation": "Bench Village Hall"})
    key = AccessKey.objects.filter(network=network, kind=AccessKey.Kind.WIDGET, revoked_at=None).first()
    if key is None:
        key = AccessKey.objects.create(network=network, name="Serve bench widget", kind=AccessKey.Kind.WIDGET)
    return user, key


def bench_paths(widget_key, rare, common):
    """{page name: path} for the pages measured."""
    from django.urls import reverse

    from qa_site.knowledge.models import QuestionPage

    public = QuestionPage.objects.live().filter(visibility="public").order_by("pk")
    total = public.count()
    if not total:
        raise BenchError("the bench database holds no public answer")
    answer = public.select_related("topic")[total // 2]  # the same page for the same size and seed
    return {
        "home": "/",
        "topic index": "/topics/",
        "topic page": answer.topic.url,
        "answer (anonymous)": answer.url,
        "answer (adviser)": answer.url,
        "search rare word": f"/search/?q={quote(rare)}",
        "search common word": f"/search/?q={quote(common)}",
        "RSS latest": reverse("feeds:latest_rss"),
        "widget JSON": f"{reverse('embed:answers')}?key={widget_key}",
    }


def count_queries(paths, cookie):
    """{page name: SQL queries of a request served from the cache} through Django's test client, each request from
    a fresh client holding only ``cookie`` for signed-in pages (as wrk sends them); a status other than 200 is given
    as "HTTP <status>". The fewest of three requests after a warm-up: a process re-reads the publication token at
    most once a second (PUBLICATION_GENERATION_LOCAL_SECONDS), one query more on the request that falls due."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    def client(signed_in):
        made = Client()
        if signed_in:
            made.cookies[settings.SESSION_COOKIE_NAME] = cookie
        return made

    counts = {}
    for name, (path, signed_in) in paths.items():
        client(signed_in).get(path)  # warm-up: fills the caches (this process's, or Redis)
        counted = []
        for _ in range(3):
            with CaptureQueriesContext(connection) as queries:
                response = client(signed_in).get(path)
            if response.status_code != 200:
                counted = [f"HTTP {response.status_code}"]
                break
            counted.append(len(queries))
        counts[name] = min(counted)  # numbers, or the one status that stopped it
    return counts


def generate_answers(size, seed):
    """Fill the database with ``size`` answers (generate_qa); a tqdm bar on a terminal, else a line per 10,000."""
    from bench.generate_qa import generate

    if sys.stderr.isatty():
        return generate(size, seed=seed).seconds
    started, chunk = time.monotonic(), 10_000
    for start in range(0, size, chunk):
        generate(min(chunk, size - start), seed=seed, start=start, progress=False)
        print(f"    {min(start + chunk, size):,} of {size:,} answers ({time.monotonic() - started:.0f} s)", flush=True)
    return time.monotonic() - started


def settle_database():
    """After a bulk load, the state a database in use reaches by itself: PostgreSQL's statistics and visibility map
    (autovacuum, which may not have come by yet: without it every match's row is checked, ~2x slower searches),
    SQLite's statistics and its full-text index merged into one segment (what a search index rebuild leaves)."""
    from django.db import connection

    print("  VACUUM ANALYZE / optimize …", flush=True)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE")
        else:
            cursor.execute("INSERT INTO qa_search_fts (qa_search_fts) VALUES ('optimize')")
            cursor.execute("ANALYZE")


def prepare(argv):
    """Run by the orchestrator in a process of its own, with the stack's environment: fill the bench database,
    make the adviser, their session and a widget key, collect static files (production), count queries per page,
    and write what the orchestrator needs as JSON."""
    parser = argparse.ArgumentParser(prog="serve.py _prepare")
    parser.add_argument("--size", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--rare-word", required=True)
    parser.add_argument("--common-word", required=True)
    args = parser.parse_args(argv)

    from bench.generate_qa import _prepare_database, ensure_cast

    url = os.environ["DATABASE_URL"]
    existing = existing_answers(url) if args.reuse else None
    reuse = existing == args.size
    if args.reuse and not reuse:
        found = "no bench database" if existing is None else f"{existing:,} answers"
        print(f"  --reuse: found {found}, not {args.size:,}: generating afresh", flush=True)
    _prepare_database(url, fresh=not reuse)

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.staticfiles.storage import staticfiles_storage
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from qa_site.knowledge.setup import ensure_coordinators_group, ensure_site_tree

    if settings.REDIS_URL:
        # No worker runs during the bench: the outbox's jobs (search indexing of new answers) run here, now.
        settings.RQ_QUEUES["default"]["ASYNC"] = False
    call_command("migrate", interactive=False, verbosity=0)
    ensure_site_tree()
    ensure_coordinators_group()
    generated = None
    if not reuse:
        print(f"  generating {args.size:,} answers on {connection.vendor} …", flush=True)
        generated = round(generate_answers(args.size, args.seed), 1)
        print(f"  generated in {generated:.0f} s", flush=True)
        settle_database()
    _, _, networks = ensure_cast()
    adviser, widget_key = ensure_adviser(networks[NETWORK])

    if settings.STORAGES["staticfiles"]["BACKEND"].endswith("ManifestStaticFilesStorage"):
        print(f"  collectstatic into {settings.STATIC_ROOT} …", flush=True)
        call_command("collectstatic", interactive=False, verbosity=0)
    static_path = staticfiles_storage.url(STATIC_NAME)  # hashed from the manifest in production

    if "cache" in settings.SESSION_ENGINE and settings.CACHES["default"]["BACKEND"].endswith("LocMemCache"):
        raise BenchError(
            f"sessions are kept in each process's memory ({settings.SESSION_ENGINE}): the server cannot "
            "read a session made here"
        )
    session = Client()
    session.force_login(adviser)  # a session in SESSION_ENGINE's store: the database, or the cache (Redis)
    cookie = session.cookies[settings.SESSION_COOKIE_NAME].value

    paths = {STATIC: static_path, **bench_paths(widget_key.key, args.rare_word, args.common_word)}
    print("  counting queries per page …", flush=True)
    queries = count_queries({name: (path, name == SIGNED_IN) for name, path in paths.items()}, cookie)
    cache = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    answers = existing_answers(url)
    args.out.write_text(
        json.dumps(
            {
                "vendor": connection.vendor,
                "answers": answers,
                "generated_seconds": generated,
                "session_engine": settings.SESSION_ENGINE,
                "cache": cache,
                "cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}",
                "adviser_name": adviser.display_name,
                "paths": paths,
                "queries": queries,
            },
            indent=2,
        )
    )


# --- Load ------------------------------------------------------------------------------------------------------


@dataclass
class Load:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int = 0
    socket_errors: int = 0
    restarts: int = 0  # gunicorn workers recycled (max_requests) or killed (timeout) meanwhile, from its log
    server_error: str = ""  # the most frequent exception in the server's log meanwhile

    @property
    def errors(self):
        return self.non_2xx + self.socket_errors

    def summary(self):
        if not self.requests:
            return "no response"
        extra = [f"{self.errors} errors" if self.errors else "", f"{self.restarts} restarts" if self.restarts else ""]
        return f"{self.rps:8.0f} req/s  p50 {self.p50_ms:7.2f} ms  " + ", ".join(e for e in extra if e)


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def parse_wrk(output):
    """A ``Load`` from wrk's report (run with --latency)."""

    def latency(percent):
        found = re.search(rf"^\s*{percent}%\s+([\d.]+)(us|ms|s|m|h)\s*$", output, re.M)
        if not found:
            raise BenchError(f"no {percent}% latency in wrk's output:\n{output}")
        return float(found[1]) * _UNITS_MS[found[2]]

    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.M)
    requests = re.search(r"^\s*(\d+) requests in", output, re.M)
    if not (rps and requests):
        raise BenchError(f"wrk's output could not be read:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return Load(
        rps=float(rps[1]),
        p50_ms=latency(50),
        p99_ms=latency(99),
        requests=int(requests[1]),
        non_2xx=int(non_2xx[1]) if non_2xx else 0,
        socket_errors=sum(int(n) for n in sockets.groups()) if sockets else 0,
    )


def run_wrk(wrk, url, *, seconds, connections, headers):
    command = [wrk, f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "30s"]
    for header in headers:
        command += ["-H", header]
    done = subprocess.run([*command, url], capture_output=True, text=True, timeout=seconds + 60)
    if done.returncode != 0:
        raise BenchError(f"wrk exited with {done.returncode}: {done.stderr.strip() or done.stdout.strip()}")
    return parse_wrk(done.stdout)


def run_python(url, *, seconds, connections, headers):
    """The fallback load generator: ``connections`` threads, each sending one request after another (a fresh
    connection each time: gunicorn's sync workers close it after every response)."""
    import http.client

    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    header_map = dict(header.split(": ", 1) for header in headers)
    latencies, counts, lock = [], {"non_2xx": 0, "errors": 0}, threading.Lock()
    deadline = time.perf_counter() + seconds

    def client():
        mine, non_2xx, errors = [], 0, 0
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
            try:
                connection.request("GET", target, headers=header_map)
                response = connection.getresponse()
                response.read()
                if not 200 <= response.status < 400:
                    non_2xx += 1
                mine.append((time.perf_counter() - started) * 1000)
            except OSError:
                errors += 1
            finally:
                connection.close()
        with lock:
            latencies.extend(mine)
            counts["non_2xx"] += non_2xx
            counts["errors"] += errors

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if not latencies:
        raise BenchError(f"no request to {url} succeeded")
    latencies.sort()
    return Load(
        rps=len(latencies) / elapsed,
        p50_ms=statistics.median(latencies),
        p99_ms=latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))],
        requests=len(latencies),
        non_2xx=counts["non_2xx"],
        socket_errors=counts["errors"],
    )


class LoadGenerator:
    def __init__(self, *, seconds, connections):
        self.wrk = shutil.which("wrk") or ("/usr/bin/wrk" if os.access("/usr/bin/wrk", os.X_OK) else None)
        self.seconds = seconds
        self.connections = connections

    @property
    def description(self):
        if self.wrk:
            return f"wrk -t{min(2, self.connections)} -c{self.connections} -d{self.seconds}s --latency --timeout 30s"
        return f"Python load generator ({self.connections} threads, {self.seconds} s; wrk not found)"

    def run(self, url, headers=(), seconds=None):
        seconds = seconds or self.seconds
        if self.wrk:
            return run_wrk(self.wrk, url, seconds=seconds, connections=self.connections, headers=headers)
        return run_python(url, seconds=seconds, connections=self.connections, headers=headers)


# --- The server -------------------------------------------------------------------------------------------------


def fetch(url, headers=(), timeout=60):
    """(status, body text, headers) of one GET."""
    request = urllib.request.Request(url, headers=dict(header.split(": ", 1) for header in headers))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", "replace"), response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace"), error.headers


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


urllib.request.install_opener(urllib.request.build_opener(NoRedirect))  # a redirect is reported, not followed


def start_gunicorn(env, port, workdir, args):
    """The Procfile's web process, bound to 127.0.0.1:``port``, once it answers /healthz."""
    command = f"{parse_procfile()['web']} --bind 127.0.0.1:{port}"
    if args.max_requests != "config":
        command += f" --max-requests {args.max_requests}"
    server = Process("web", command, env=env, log_path=workdir / "gunicorn.log").start()
    deadline = time.monotonic() + args.start_timeout
    while time.monotonic() < deadline:
        if not server.alive:
            raise BenchError(f"gunicorn exited with {server.returncode} before answering\n{server.describe()}")
        with contextlib.suppress(OSError):
            if fetch(f"http://127.0.0.1:{port}/healthz", timeout=5)[0] == 200:
                return server, command
        time.sleep(0.3)
    server.stop(timeout=10)
    raise BenchError(
        f"gunicorn did not answer /healthz on 127.0.0.1:{port} within {args.start_timeout:.0f} s "
        f"(--start-timeout)\n{server.describe()}"
    )


# --- One stack at one size --------------------------------------------------------------------------------------


def stack_env(stack, size, port, workdir, args, secret_key):
    common = {
        "WEB_CONCURRENCY": str(args.workers),
        "WEB_THREADS": "1",  # sync workers
        "PORT": str(port),
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "BASE_URL": f"http://127.0.0.1:{port}",
    }
    if stack == "sqlite":
        database = f"sqlite:///{BENCH_DIR / f'serve-{size}.sqlite3'}"
        values = {"DJANGO_SETTINGS_MODULE": SQLITE_SETTINGS, "DATABASE_URL": database, "FEEDS_BENCH_UNCACHED": "0"}
    else:
        values = {
            "DJANGO_SETTINGS_MODULE": PRODUCTION_SETTINGS,
            "DATABASE_URL": with_database(args.postgres_url, f"qa_bench_serve_{size}"),
            "REDIS_URL": args.redis_url,
            "SECRET_KEY": secret_key,  # the set-up process and the server sign sessions alike
            "EMAIL_URL": "console://",
            "SECURE_SSL_REDIRECT": "false",  # plain HTTP on 127.0.0.1
            "STATIC_ROOT": str(WORK_DIR / "static"),
        }
    return process_env(workdir, **common, **values)


def run_prepare(env, size, workdir, args):
    out = workdir / "prepared.json"
    out.unlink(missing_ok=True)
    command = [sys.executable, str(Path(__file__).resolve()), "_prepare", f"--size={size}", f"--out={out}"]
    command += [f"--seed={args.seed}", f"--rare-word={args.rare_word}", f"--common-word={args.common_word}"]
    if args.reuse:
        command.append("--reuse")
    # Quiet request logs in the set-up process (the server keeps the production default).
    done = subprocess.run(command, cwd=ROOT, env={**env, "LOG_LEVEL": "WARNING"})
    if done.returncode != 0 or not out.exists():
        raise BenchError(f"setting up the bench database failed (exit status {done.returncode}); see above")
    return json.loads(out.read_text())


def check_pages(base, info, pages):
    """Fetch each page once: {name: problem} for those that are not what they should be; prints what it found."""
    problems = {}
    cookie = [f"Cookie: {info['cookie']}"]
    for name, path in pages.items():
        headers = cookie if name == SIGNED_IN else []
        status, body, response_headers = fetch(base + path, headers)
        note = ""
        if status != 200:
            location = response_headers.get("Location")
            problems[name] = f"HTTP {status}" + (f" (to {location})" if location else "")
        elif name == "answer (anonymous)":
            if 'data-testid="teaser"' not in body or 'data-testid="full-answer"' in body:
                problems[name] = "the anonymous answer page is not the teaser"
        elif name == SIGNED_IN:
            if 'data-testid="full-answer"' not in body:
                problems[name] = 'the adviser\'s answer page is not the full answer (no data-testid="full-answer")'
            elif info["adviser_name"] not in body:
                problems[name] = f"the adviser's page does not show {info['adviser_name']!r}: not signed in?"
        elif name.startswith("search"):
            found = re.search(r'data-testid="result-count">([\d,]+) answer', body)
            note = f"{found[1]} answers" if found else "no result count"
        elif name == "widget JSON":
            with contextlib.suppress(ValueError):
                note = f"{len(json.loads(body).get('items', []))} items"
        elif name == STATIC:
            note = f"{len(body.encode()):,} bytes"
        print(f"    {name:20} {path[:70]:70} {problems.get(name) or 'ok'} {note}", flush=True)
    return problems


@dataclass
class Served:
    """One stack at one size, set up and being served."""

    stack: str
    size: int
    info: dict
    command: str
    problems: dict
    base: str
    log: "ServerLog"
    server: Process


def serve_stack(stack, size, args, secret_key):
    """Set up one stack at one size and start its web server (the caller stops ``.server``)."""
    workdir = WORK_DIR / f"{stack}-{size}"
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = stack_env(stack, size, port, workdir, args, secret_key)
    if stack == "postgres":
        import redis

        redis.Redis.from_url(args.redis_url, socket_connect_timeout=2).flushdb()
    started = time.monotonic()
    info = run_prepare(env, size, workdir, args)
    print(
        f"  set up in {time.monotonic() - started:.0f} s: {info['answers']:,} answers on {info['vendor']}, "
        f"cache {info['cache']}, sessions {info['session_engine']}",
        flush=True,
    )
    server, command = start_gunicorn(env, port, workdir, args)
    try:
        print(f"  serving: {command} (log: {workdir / 'gunicorn.log'})", flush=True)
        base = f"http://127.0.0.1:{port}"
        problems = check_pages(base, info, info["paths"])
        if STATIC in problems:
            raise BenchError(f"the static file {info['paths'][STATIC]} answered {problems[STATIC]}")
    except BaseException:
        server.stop(timeout=30)
        raise
    return Served(stack, size, info, command, problems, base, ServerLog(workdir / "gunicorn.log"), server)


def measure_size(stacks, size, load, args, secret_key, failures):
    """Set up and serve every stack at one size, then measure them in turn, page by page (for each page, each stack
    measures the static file then the page), so that a change in the machine's speed during the run falls on every
    stack alike. A list of dicts, one per stack measured."""
    with contextlib.ExitStack() as stop:
        served = []
        for stack in stacks:
            print(f"\n== {stack}, {size:,} answers ==", flush=True)
            try:
                one = serve_stack(stack, size, args, secret_key)
            except BenchError as exc:
                print(f"  FAILED: {exc}", flush=True)
                failures.append(f"{stack} at {size:,}: {str(exc).splitlines()[0]}")
                continue
            stop.callback(one.server.stop, timeout=30)
            served.append(one)
        if not served:
            return []

        def measure(one, name):
            url = one.base + one.info["paths"][name]
            headers = [f"Cookie: {one.info['cookie']}"] if name == SIGNED_IN else []
            load.run(url, headers, seconds=1)  # warm-up: every worker has it cached
            one.log.mark()
            result = one.log.annotate(load.run(url, headers))
            print(f"    {one.stack:8} {name:20} {result.summary()}", flush=True)
            return result

        for one in served:
            load.run(one.base + one.info["paths"][STATIC], seconds=2)  # and every worker has booted
        stacks_named = " and ".join(one.stack for one in served)
        print(f"\n== measuring {stacks_named} at {size:,} answers, in turn for each page", flush=True)
        print("   (each stack's static file before every page and at the end; which stack goes first alternates):")
        statics = {one.stack: [] for one in served}
        runs = {one.stack: {} for one in served}  # page -> [(position, result)], one per round
        position = 0
        for round_number in range(args.rounds):
            if args.rounds > 1:
                print(f"  round {round_number + 1} of {args.rounds}", flush=True)
            for index, name in enumerate(PAGES):
                turn = served if position % 2 == 0 else served[::-1]
                for one in turn:
                    if index % args.static_every == 0:
                        statics[one.stack].append((position, measure(one, STATIC)))
                    if name not in one.problems:
                        runs[one.stack].setdefault(name, []).append((position, measure(one, name)))
                position += 1
        for one in served:
            statics[one.stack].append((position, measure(one, STATIC)))
        load_average = os.getloadavg()
    # With several rounds, a page's figure is its median round (by req/s), compared with the static runs around it.
    chosen = {stack: {name: median_round(rounds) for name, rounds in pages.items()} for stack, pages in runs.items()}
    return [
        {
            "stack": one.stack,
            "size": size,
            "info": one.info,
            "command": one.command,
            "problems": one.problems,
            "statics": [(index, asdict(result)) for index, result in statics[one.stack]],
            "results": {name: asdict(result) for name, (_, result) in chosen[one.stack].items()},
            "positions": {name: position for name, (position, _) in chosen[one.stack].items()},
            "rounds": {name: [run.rps for _, run in rounds] for name, rounds in runs[one.stack].items()},
            "load_average": load_average,
        }
        for one in served
    ]


class ServerLog:
    """What gunicorn wrote to its log since ``mark()``: worker restarts and the exceptions of failed requests."""

    RESTART = re.compile(r"Autorestarting worker|WORKER TIMEOUT|Worker \(pid:\d+\) was sent SIGKILL")
    EXCEPTION = re.compile(r"^(?:[\w.]+\.)?\w*(?:Error|Exception)\b.*$", re.M)

    def __init__(self, path):
        self.path = path
        self.offset = 0

    def mark(self):
        self.offset = self.path.stat().st_size

    def annotate(self, result):
        with open(self.path, "rb") as log:
            log.seek(self.offset)
            text = log.read().decode("utf-8", "replace")
        result.restarts = len(self.RESTART.findall(text))
        exceptions = self.EXCEPTION.findall(text)
        if exceptions:
            result.server_error = max(set(exceptions), key=exceptions.count)[:200]
        return result


def median_round(rounds):
    """Of a page's ``[(position, Load)]`` rounds, the one with the median req/s (the lower of two middles)."""
    return sorted(rounds, key=lambda run: run[1].rps)[(len(rounds) - 1) // 2]


def bracket(statics, index):
    """The static file's runs nearest the page at ``index``: the last before it and the first after it."""
    before = [result for at, result in statics if at <= index]
    after = [result for at, result in statics if at > index]
    return [runs[i] for runs, i in ((before, -1), (after, 0)) if runs]


def compare_to_static(statics, index, result):
    """(the page's req/s as a share of the static file's nearest runs, or None; steady?) — not steady when a worker
    was replaced during the page's run or those static runs, or one of them got no response at all."""
    nearest = bracket(statics, index)
    steady = not result["restarts"] and all(run["requests"] and not run["restarts"] for run in nearest)
    static = statistics.mean(run["rps"] for run in nearest)
    return (result["rps"] / static if static else None), steady


# --- Report -----------------------------------------------------------------------------------------------------


def _row(name, rps, p50, p99, share, queries, errors, restarts, steady=True):
    share = (f"{share:.0%}" if share is not None else "-") + ("" if steady else "*")
    return (
        f"  {name:20} {rps:8.0f} {p50:8.2f} {p99:8.2f} {share:>9} {queries!s:>8} {errors or '':>7} {restarts or '':>9}"
    )


def report(run):
    """The table of one stack at one size, and its targets; True when every target is met."""
    info, results = run["info"], run["results"]
    statics, all_static = run["statics"], [result for _, result in run["statics"]]
    load_average = ", ".join(f"{n:.2f}" for n in run["load_average"])
    print(
        f"\n{run['stack']} — {info['answers']:,} answers on {info['vendor']}, cache {info['cache']}, "
        f"sessions {info['session_engine']}; load average at the end {load_average}"
    )
    header = f"{'page':20} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'% static':>9} {'queries':>8} {'errors':>7}"
    print(f"  {header} {'restarts':>9}")
    print("  " + "-" * (len(header) + 10))
    print(
        _row(
            f"{STATIC} (mean)",
            statistics.mean(s["rps"] for s in all_static),
            statistics.mean(s["p50_ms"] for s in all_static),
            max(s["p99_ms"] for s in all_static),
            1.0,
            info["queries"][STATIC],
            sum(s["non_2xx"] + s["socket_errors"] for s in all_static),
            sum(s["restarts"] for s in all_static),
        )
    )
    ratios, unsteady = {}, set()
    for name in PAGES:
        result = results.get(name)
        if result is None:
            print(f"  {name:20} not measured: {run['problems'].get(name, '?')}")
            continue
        if not result["requests"]:
            print(f"  {name:20} no response within the measurement: a hung or (re)starting worker? see the log")
            continue
        ratios[name], steady = compare_to_static(statics, run["positions"][name], result)
        if not steady:
            unsteady.add(name)
        errors = result["non_2xx"] + result["socket_errors"]
        print(
            _row(
                name,
                result["rps"],
                result["p50_ms"],
                result["p99_ms"],
                ratios[name],
                info["queries"][name],
                errors,
                result["restarts"],
                steady,
            )
        )
    static_rps = ", ".join(f"{run['rps']:.0f}" for run in all_static)
    print(f"  static file req/s, before each page then at the end: {static_rps}")
    if any(len(rounds) > 1 for rounds in run["rounds"].values()):
        print("  req/s in each round (the median is shown above):")
        for name, rounds in run["rounds"].items():
            print(f"    {name:20} " + ", ".join(f"{rps:.0f}" for rps in rounds))
    restarts = sum(r["restarts"] for r in results.values()) + sum(s["restarts"] for s in all_static)
    if restarts:
        print(
            f"  gunicorn recycled or replaced workers {restarts} times while measuring (each new worker loads the "
            "application again, for seconds): figures marked * are not the steady state, and are not judged"
        )
    for name, result in results.items():
        if result["server_error"]:
            print(f"  {name}: the server logged {result['server_error']}")
    run["ratios"], run["unsteady"] = ratios, sorted(unsteady)
    print("  targets (cached pages, share of the static file's req/s):")
    met_all = True
    for name, least in TARGETS:
        ratio, result = ratios.get(name), results.get(name)
        if ratio is None:
            verdict = "not met: " + ("no response" if result and not result["requests"] else "not measured")
        elif name in unsteady:
            verdict = f"not judged: {ratio:.0%}, but workers were replaced while measuring"
        elif result["non_2xx"] + result["socket_errors"]:
            verdict = f"not met: {ratio:.0%}, but with {result['non_2xx'] + result['socket_errors']} errors"
        else:
            verdict = f"{ratio:.0%}: " + ("met" if ratio >= least else "NOT MET")
        met = verdict.endswith(": met")
        met_all = met_all and met
        print(f"    {name:20} ≥ {least:.0%} — {verdict}")
    return met_all


def compare_stacks(runs):
    """PostgreSQL + Redis req/s as a share of SQLite's, per size measured on both; the target at PG_SIZE."""
    by_key = {(run["stack"], run["size"]): run for run in runs}
    sizes = sorted({size for stack, size in by_key if stack == "postgres" and ("sqlite", size) in by_key})
    met_all = True
    for size in sizes:
        pg, lite = by_key[("postgres", size)], by_key[("sqlite", size)]
        checked = size == PG_SIZE
        note = f"target ≥ {PG_RATIO}× at {PG_SIZE:,}" if checked else f"(the target applies at {PG_SIZE:,} answers)"
        print(f"\nPostgreSQL + Redis ÷ SQLite at {size:,} answers — {note}")
        print(f"  {'page':20} {'PG req/s':>9} {'SQLite':>9} {'PG÷SQLite':>10} {'÷ static: PG / SQLite':>23}")
        pg_static = statistics.mean(s["rps"] for _, s in pg["statics"])
        lite_static = statistics.mean(s["rps"] for _, s in lite["statics"])
        print(f"  {STATIC:20} {pg_static:9.0f} {lite_static:9.0f} {pg_static / lite_static:9.2f}×")
        for name in PAGES:
            a, b = pg["ratios"].get(name), lite["ratios"].get(name)
            if a is None or b is None:
                print(f"  {name:20} not measured on both stacks" + (": NOT MET" if checked else ""))
                met_all = met_all and not checked
                continue
            pg_rps, lite_rps = pg["results"][name]["rps"], lite["results"][name]["rps"]
            share = pg_rps / lite_rps
            steady = name not in pg["unsteady"] and name not in lite["unsteady"]
            met = share >= PG_RATIO and steady
            verdict = ("  met" if met else "  NOT MET" if steady else "  not judged: unsteady") if checked else ""
            met_all = met_all and (met or not checked)
            print(f"  {name:20} {pg_rps:9.0f} {lite_rps:9.0f} {share:9.2f}× {f'{a:.0%} / {b:.0%}':>23}{verdict}")
    if PG_SIZE not in sizes:
        print(f"\nPostgreSQL + Redis ≥ {PG_RATIO}× SQLite at {PG_SIZE:,} answers: not checked (needs both stacks then)")
    return met_all


# --- Command line -----------------------------------------------------------------------------------------------


def stack_unavailable(stack, args):
    """Why ``stack`` cannot run here, or None."""
    if stack != "postgres":
        return None
    import psycopg
    import redis

    try:
        with psycopg.connect(with_database(args.postgres_url, "postgres"), connect_timeout=5):
            pass
    except psycopg.Error as exc:
        first_line = str(exc).strip().splitlines()[0][:200]
        return f"PostgreSQL at {args.postgres_url} is not answering ({type(exc).__name__}: {first_line})"
    try:
        redis.Redis.from_url(args.redis_url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        return f"Redis at {args.redis_url} is not answering ({type(exc).__name__}: {exc})"
    return None


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stacks", nargs="+", choices=STACKS, default=list(STACKS))
    parser.add_argument("--sizes", nargs="+", type=int, default=[10_000, 100_000], help="answers in the database")
    parser.add_argument("--reuse", action="store_true", help="keep a bench database that holds that many answers")
    parser.add_argument("--seconds", type=int, default=10, help="seconds of load per measurement (default 10)")
    parser.add_argument("--connections", type=int, default=8, help="connections at once (default 8)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers: WEB_CONCURRENCY (default 2)")
    parser.add_argument(
        "--max-requests",
        type=lambda value: value if value == "config" else str(int(value)),
        default="0",
        help="gunicorn's --max-requests for the run. Default 0: workers are never recycled, so the figures are the "
        "steady state. 'config' keeps gunicorn.conf.py's (WEB_MAX_REQUESTS, 100,000 ± a tenth), as in production",
    )
    parser.add_argument(
        "--pages", nargs="+", choices=PAGES, metavar="PAGE", help=f"measure only these (default: {', '.join(PAGES)})"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="measure every page this many times, in turn (default 1); each page's figure is its median round",
    )
    parser.add_argument("--static-every", type=int, default=1, help="measure the static file before every Nth page")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rare-word", default=RARE_TERMS[0], help=f"default {RARE_TERMS[0]}")
    parser.add_argument("--common-word", default=COMMON_TERMS[0], help=f"default {COMMON_TERMS[0]}")
    parser.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13", help="a Redis database it may empty")
    parser.add_argument("--start-timeout", type=float, default=120, help="seconds gunicorn has to answer /healthz")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "serve.json")
    args = parser.parse_args()
    if any(size < 100 for size in args.sizes):
        parser.error("--sizes must each be at least 100")
    if min(args.seconds, args.connections, args.workers, args.static_every, args.rounds) < 1:
        parser.error("--seconds, --connections, --workers, --static-every and --rounds must be at least 1")
    return args


def main():
    if sys.argv[1:2] == ["_prepare"]:
        return prepare(sys.argv[2:])
    args = parse_args()
    if args.pages:
        PAGES[:] = [name for name in PAGES if name in args.pages]
        TARGETS[:] = [(name, least) for name, least in TARGETS if name in args.pages]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that the servers are stopped on the way out
    load = LoadGenerator(seconds=args.seconds, connections=args.connections)
    print(f"Command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    load_average = ", ".join(f"{n:.2f}" for n in os.getloadavg())
    print(f"Machine: {os.cpu_count()} CPUs, load average {load_average}")
    recycling = "as gunicorn.conf.py says" if args.max_requests == "config" else f"--max-requests {args.max_requests}"
    print(f"Load: {load.description}; gunicorn {args.workers} sync workers on 127.0.0.1, {recycling}")
    if not load.wrk:
        print("  wrk is not installed (apt-get install wrk): using the Python load generator, which is far slower")

    secret_key = secrets.token_urlsafe(50)
    runs, skipped, failures = [], [], []
    stacks = []
    for stack in args.stacks:
        reason = stack_unavailable(stack, args)
        if reason:
            print(f"\nSkipping the {stack} stack: {reason}")
            skipped.append(f"{stack}: skipped ({reason})")
        else:
            stacks.append(stack)
    for size in args.sizes if stacks else []:
        try:
            runs += measure_size(stacks, size, load, args, secret_key, failures)
        except BenchError as exc:
            print(f"  FAILED: {exc}", flush=True)
            failures.append(f"{' and '.join(stacks)} at {size:,}: {str(exc).splitlines()[0]}")

    if not runs:
        print("\nNothing was measured:")
        for line in skipped + failures:
            print(f"  {line}")
        return 1
    targets_met = all([report(run) for run in runs])
    targets_met = compare_stacks(runs) and targets_met
    problems = [
        f"{run['stack']} at {run['size']:,}: {name}: {why}" for run in runs for name, why in run["problems"].items()
    ]
    if skipped or failures or problems:
        print("\nNot measured:")
        for line in skipped + failures + problems:
            print(f"  {line}")
    print(f"\nAll targets met: {'yes' if targets_met else 'no'}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    for run in runs:
        run["info"].pop("cookie", None)  # a live session of the bench database: not for a file people pass around
    args.out.write_text(json.dumps({"command": sys.argv, "cpus": os.cpu_count(), "runs": runs}, indent=2))
    print(f"Figures written to {args.out}")
    return 1 if (failures or problems) else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # the servers were stopped on the way out (measure_size's ExitStack)
        print("\nInterrupted.", file=sys.stderr)
        sys.exit(130)
