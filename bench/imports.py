"""How long importing a large Stack Exchange dump (or CSV file) takes.

Writes a Posts.xml in the data dump's format from the generated answers of bench/generate_qa.py: ``--count``
answered questions, each with one to four answers (about 60 % with an accepted one, often not the best
scored), plus 5 % unanswered questions, tags naming the topics. Then, on an emptied bench database, times
``import_stackexchange`` with every tag mapped to its topic, and times it again to show that a re-run
imports nothing. Search indexing (the receivers of ``pages_bulk_created``) runs inside the import, as it
would for a coordinator; ``--without-search-index`` leaves it out to show what the pages alone cost.

    .venv/bin/python bench/imports.py --count 100000
    .venv/bin/python bench/imports.py --count 100000 --database-url postgres://postgres@127.0.0.1:5432/qa_bench
    .venv/bin/python bench/imports.py --count 100000 --format csv
"""

import argparse
import csv
import datetime as dt
import io
import random
import sys
import time
from pathlib import Path
from xml.sax.saxutils import quoteattr

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.generate_qa import DEFAULT_DATABASE_URL, open_bench_database, qa_texts  # noqa: E402

UNANSWERED_RATE = 0.05
ACCEPTED_RATE = 0.6


def _html(markdown_paragraphs):
    return "".join(f"<p>{paragraph}</p>\n" for paragraph in markdown_paragraphs.split("\n\n"))


def _date(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000")


def write_posts_xml(path, count, *, seed=0):
    """A Posts.xml with ``count`` answered questions (and 5 % more without answers); returns the path."""
    rng = random.Random(f"posts:{seed}")
    post_id = 0
    with open(path, "w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="utf-8"?>\n<posts>\n')
        for text in qa_texts(count, seed=seed):
            question_id = post_id = post_id + 1
            answers = []
            for n in range(rng.randint(1, 4)):
                post_id += 1
                body = text.answer if n == 0 else "\n\n".join(rng.sample(text.answer.split("\n\n"), k=1))
                answers.append((post_id, body, text.score + rng.randint(-2, 6) if n == 0 else rng.randint(0, 12)))
            accepted = answers[0][0] if rng.random() < ACCEPTED_RATE else None
            asked = text.published_at - dt.timedelta(minutes=rng.randint(30, 20 * 24 * 60))
            row = {
                "Id": question_id,
                "PostTypeId": 1,
                "CreationDate": _date(asked),
                "Score": text.score,
                "Title": text.title,
                "Body": _html(text.question),
                "Tags": f"<{text.topic_slug}><advice>",
            }
            if accepted:
                row["AcceptedAnswerId"] = accepted
            out.write(_row(row))
            for answer_id, body, score in answers:
                out.write(
                    _row(
                        {
                            "Id": answer_id,
                            "PostTypeId": 2,
                            "ParentId": question_id,
                            "CreationDate": _date(text.published_at),
                            "Score": score,
                            "Body": _html(body),
                        }
                    )
                )
            if rng.random() < UNANSWERED_RATE:
                post_id += 1
                out.write(_row({"Id": post_id, "PostTypeId": 1, "Title": "Still waiting", "Body": "<p>Anyone?</p>"}))
        out.write("</posts>\n")
    return path


def write_csv(path, count, *, seed=0):
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["id", "title", "question", "answer", "topic", "published"])
        for text in qa_texts(count, seed=seed):
            writer.writerow(
                [text.number, text.title, text.question, text.answer, text.topic_slug, text.published_at.isoformat()]
            )
    return path


def _row(attributes):
    return "  <row " + " ".join(f"{key}={quoteattr(str(value))}" for key, value in attributes.items()) + " />\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--format", choices=["xml", "csv"], default="xml")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL.replace("qa.sqlite3", "imports.sqlite3"))
    parser.add_argument("--without-search-index", action="store_true")
    parser.add_argument("--batch-size", type=int, default=1000)
    args = parser.parse_args()

    bench_dir = ROOT / "var" / "bench"
    bench_dir.mkdir(parents=True, exist_ok=True)
    fixture = bench_dir / f"{'Posts' if args.format == 'xml' else 'answers'}-{args.count}.{args.format}"
    if not fixture.exists():
        started = time.perf_counter()
        (write_posts_xml if args.format == "xml" else write_csv)(fixture, args.count)
        print(f"Wrote {fixture} ({fixture.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - started:.0f} s.")

    open_bench_database(args.database_url, fresh=True)
    from django.core.management import call_command
    from django.db import connection

    from bench.generate_qa import ensure_cast
    from qa_site.knowledge.models import QuestionPage
    from qa_site.knowledge.signals import pages_bulk_created

    if args.without_search_index:
        pages_bulk_created.receivers = []
    topics, _, _ = ensure_cast()
    if args.format == "xml":
        command = ["import_stackexchange", str(fixture), "--site", "bench.stackexchange.com", "--topic", "charity-law"]
        command += ["--batch-size", str(args.batch_size)]
        command += [arg for slug in topics for arg in ("--topic-map", f"{slug}={slug}")]
    else:
        command = ["import_csv", str(fixture), "--topic", "charity-law", "--batch-size", str(args.batch_size)]

    for attempt in ("first run", "re-run"):
        out = io.StringIO()
        started, cpu = time.perf_counter(), time.process_time()
        call_command(*command, stdout=out)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        summary = "; ".join(line for line in out.getvalue().splitlines()[:4])
        print(f"{attempt}: {seconds:.1f} s ({cpu:.1f} s of CPU) — {summary}")
    pages = QuestionPage.objects.count()
    indexed = "without search indexing" if args.without_search_index else "search index updated after each batch"
    print(f"{pages:,} answer pages on {connection.vendor} ({args.format}, batches of {args.batch_size:,}, {indexed}).")


if __name__ == "__main__":
    main()
