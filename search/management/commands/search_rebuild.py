"""Rebuild the whole search index from the live question pages, with a progress bar."""

import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from search.backends import get_backend
from search.documents import count_documents, iter_documents


class Command(BaseCommand):
    help = "Rebuild the search index of the configured engine from every live question page."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=2000, help="Pages read at a time (default 2000).")

    def handle(self, *args, batch_size=2000, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        backend = get_backend()
        started = time.perf_counter()
        total = count_documents()
        with tqdm(total=total, desc=f"Indexing ({backend.name})", unit="answer", disable=None) as bar:

            def documents():
                for document in iter_documents(batch_size=batch_size):
                    yield document
                    bar.update()

            indexed = backend.rebuild(documents())
        self.stdout.write(
            self.style.SUCCESS(
                f"Indexed {indexed:,} answers with the {backend.name} engine in {time.perf_counter() - started:.1f} s."
            )
        )
