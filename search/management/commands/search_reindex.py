"""Rebuild the search index from the published question pages, without interrupting searches.

With Elasticsearch (``ELASTICSEARCH_URL``): a new concrete index is filled while searches keep reading the
old one through the alias; the alias then moves in one atomic call and the old index is deleted. Answers
published meanwhile reach both indexes. With the database engine, the index tables are rebuilt in one
transaction, so searches read the old rows until it commits.
"""

from django.core.management.base import BaseCommand

from search.backends import get_backend
from search.documents import count_documents, iter_documents


class _Text:
    """A stream for tqdm over a command's output wrapper (which would end every write with a newline)."""

    def __init__(self, wrapper):
        self.wrapper = wrapper

    def write(self, text):
        self.wrapper.write(text, ending="")

    def flush(self):
        self.wrapper.flush()


def with_progress(documents, *, total, out, every=1000):
    """``documents``, reporting progress to ``out``: a tqdm bar if tqdm is installed, else a line per ``every``."""
    try:
        from tqdm import tqdm
    except ImportError:
        tqdm = None
    if tqdm is not None:
        yield from tqdm(documents, total=total, unit=" answers", file=_Text(out), mininterval=0.5)
        return
    done = 0
    for done, document in enumerate(documents, start=1):
        yield document
        if done % every == 0:
            out.write(f"{done} of {total} answers")
    out.write(f"{done} of {total} answers")


class Command(BaseCommand):
    help = "Rebuild the search index (Elasticsearch or the database's) from the published question pages."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=2000, help="Pages read from the database at a time.")

    def handle(self, *args, batch_size, verbosity, **options):
        backend = get_backend()
        documents = iter_documents(batch_size=batch_size)
        if verbosity > 0:
            documents = with_progress(documents, total=count_documents(), out=self.stderr)
        count = backend.rebuild(documents)
        self.stdout.write(self.style.SUCCESS(f"Indexed {count} answers ({backend.name} engine)."))
