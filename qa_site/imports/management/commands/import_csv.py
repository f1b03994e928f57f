"""Import answered questions from a CSV file as published answers.

    manage.py import_csv answers.csv --topic employment
    manage.py import_csv answers.csv --topic funding --source westvale-faq --visibility network --network westvale-cvs

Columns: id, title, question, answer (Markdown), and optionally topic (a topic slug) and published (a date).
Bad rows are reported with their line numbers; the good ones are imported. Running it again imports only rows
whose id is new for the source (--source, default "csv").
"""

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from qa_site.imports import spreadsheet
from qa_site.imports.services import ImportRefused, Incoming, Summary, items_import, network_by_slug, topic_by_slug
from qa_site.knowledge.models import TopicPage
from subscriptions.access import Visibility


class Command(BaseCommand):
    help = "Import questions and answers from a CSV file (id, title, question, answer[, topic][, published])."

    def add_arguments(self, parser):
        parser.add_argument("path", help="the CSV file (UTF-8, first line naming the columns)")
        parser.add_argument("--topic", required=True, help="slug of the topic for rows without one")
        parser.add_argument("--source", default="csv", help="name of the source, for re-runs (default %(default)s)")
        parser.add_argument("--visibility", choices=[Visibility.PUBLIC, Visibility.NETWORK], default=Visibility.PUBLIC)
        parser.add_argument("--network", help="slug of the network, with --visibility network")
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args, path, topic, source, visibility, network, batch_size, **options):
        try:
            default_topic = topic_by_slug(topic)
            if visibility == Visibility.NETWORK and not network:
                raise ImportRefused("--visibility network needs --network SLUG.")
            shared_with = network_by_slug(network) if visibility == Visibility.NETWORK else None
        except ImportRefused as error:
            raise CommandError(str(error)) from None
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        topics = {page.slug: page for page in TopicPage.objects.all()}
        summary = Summary()
        rows = spreadsheet.read_rows(
            path, default_topic=default_topic, topics=topics, visibility=visibility, network=shared_with
        )
        try:
            with tqdm(desc="Importing", unit=" rows", disable=None) as bar:

                def items():
                    for row in rows:
                        if row.problem:
                            summary.errors.append((f"line {row.line}", row.problem))
                            bar.update(1)
                        else:
                            yield Incoming(external_id=row.external_id, question=row.item)

                items_import(source=source, items=items(), summary=summary, batch_size=batch_size, progress=bar.update)
        except spreadsheet.SpreadsheetError as error:
            raise CommandError(str(error)) from None
        for line in summary.lines():
            self.stdout.write(line)
