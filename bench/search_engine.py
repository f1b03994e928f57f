"""The search engine alone — ``DatabaseBackend.search`` — on the databases ``bench/serve.py`` made, with and without
facets, for its adviser (public answers and one network's).

This is the figure behind the target "a common word with facets at 100,000 answers: p95 ≤ 50 ms in the engine":
what a results page costs when it is not in the page cache (the first reader after a publication, or a query no
one asked before). Each stack runs in a process of its own with that stack's settings: SQLite (the embedded
default) and PostgreSQL (the production settings). Run ``bench/serve.py`` first (at the same sizes) to make the
databases; this script never writes to them.

    .venv/bin/python bench/search_engine.py                       # both stacks, 100,000 answers, 15 runs
    .venv/bin/python bench/search_engine.py --sizes 10000 100000 --runs 30
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The project's ``search`` app, not bench/search.py beside this script.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() not in (ROOT, ROOT / "bench")]

from bench.generate_qa import COMMON_TERMS, RARE_TERMS  # noqa: E402
from bench.serve import ADVISER, BENCH_DIR, PRODUCTION_SETTINGS, SQLITE_SETTINGS  # noqa: E402
from tests.processes.harness import with_database  # noqa: E402

STACKS = ("sqlite", "postgres")


def measure(argv):
    """In the stack's own process: time each search, print one JSON line."""
    parser = argparse.ArgumentParser(prog="search_engine.py _measure")
    parser.add_argument("--runs", type=int, required=True)
    parser.add_argument("--words", nargs="+", required=True)
    args = parser.parse_args(argv)

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from search.audience import audience_for
    from search.backends.database import DatabaseBackend

    user = get_user_model().objects.get(email=ADVISER[0])
    audience, engine = audience_for(user), DatabaseBackend()
    figures = []
    for word in args.words:
        for facets in (True, False):
            for _ in range(2):  # warm: the database's own caches, as on a site that is being used
                engine.search(word, audience=audience, facets=facets)
            times = []
            for _ in range(args.runs):
                started = time.perf_counter()
                results = engine.search(word, audience=audience, facets=facets)
                times.append((time.perf_counter() - started) * 1000)
            with CaptureQueriesContext(connection) as queries:
                engine.search(word, audience=audience, facets=facets)
            times.sort()
            figures.append(
                {
                    "word": word,
                    "facets": facets,
                    "matches": results.total,
                    "p50": statistics.median(times),
                    "p95": times[min(len(times) - 1, round(0.95 * (len(times) - 1)))],
                    "queries": len(queries),
                }
            )
    print(json.dumps({"vendor": connection.vendor, "figures": figures}))


def stack_env(stack, size, args):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DJANGO_LOG_LEVEL": "WARNING"}
    if stack == "sqlite":
        path = BENCH_DIR / f"serve-{size}.sqlite3"
        if not path.exists():
            raise SystemExit(f"no bench database at {path}: run bench/serve.py --sizes {size} --stacks sqlite first")
        env.update(DJANGO_SETTINGS_MODULE=SQLITE_SETTINGS, DATABASE_URL=f"sqlite:///{path}")
    else:
        env.update(
            DJANGO_SETTINGS_MODULE=PRODUCTION_SETTINGS,
            DATABASE_URL=with_database(args.postgres_url, f"qa_bench_serve_{size}"),
            REDIS_URL=args.redis_url,
            SECRET_KEY="search-engine-bench-" + "x" * 50,
            ALLOWED_HOSTS="127.0.0.1",
            BASE_URL="http://127.0.0.1",
            EMAIL_URL="console://",
            STATIC_ROOT=str(BENCH_DIR / "serve" / "static"),
        )
    return env


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "_measure":
        return measure(sys.argv[2:])
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stacks", nargs="+", choices=STACKS, default=list(STACKS))
    parser.add_argument("--sizes", nargs="+", type=int, default=[100_000])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--words", nargs="+", default=[COMMON_TERMS[0], RARE_TERMS[0]])
    parser.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    args = parser.parse_args()
    print(f"Command: python bench/search_engine.py {' '.join(sys.argv[1:])}")
    print(f"Machine: {os.cpu_count()} CPUs, load average {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{args.runs} runs per figure, after 2 to warm up; the reader is the serve bench's adviser\n")
    heading = f"{'stack':10} {'answers':>8}  {'word':14} {'facets':6} {'matches':>8}"
    print(f"{heading} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}")
    for size in args.sizes:
        for stack in args.stacks:
            print(f"  {stack} at {size:,}: measuring …", file=sys.stderr, flush=True)
            done = subprocess.run(
                [sys.executable, __file__, "_measure", f"--runs={args.runs}", "--words", *args.words],
                env=stack_env(stack, size, args),
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                raise SystemExit(f"{stack} at {size:,} failed:\n{done.stderr[-3000:]}")
            result = json.loads(done.stdout.strip().splitlines()[-1])
            for figure in result["figures"]:
                print(
                    f"{stack:10} {size:>8,}  {figure['word']:14} {'yes' if figure['facets'] else 'no':6} "
                    f"{figure['matches']:>8,} {figure['p50']:>8.1f} {figure['p95']:>8.1f} {figure['queries']:>8}"
                )


if __name__ == "__main__":
    main()
