"""Import answered questions from a Stack Exchange data dump (Posts.xml) as published answers.

    manage.py import_stackexchange dump/Posts.xml --topic charity-law
    manage.py import_stackexchange dump/Posts.xml --topic funding --topic-map gift-aid=vat-finance \\
        --source stackexchange:money --visibility network --network northshire-rcc

Each question comes with its accepted answer, or else its highest-scored one; questions without answers are
skipped. Running it again imports only what is new (items are known by --source and the question's Id).
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from qa_site.imports import stackexchange
from qa_site.imports.services import (
    ImportRefused,
    Incoming,
    Summary,
    imported_ids,
    items_import,
    network_by_slug,
    topic_by_slug,
)
from qa_site.knowledge.bulk import BulkQuestion
from subscriptions.access import Visibility


class Command(BaseCommand):
    help = "Import questions and their best answer from a Stack Exchange Posts.xml as published answers."

    def add_arguments(self, parser):
        parser.add_argument("path", help="the dump's Posts.xml")
        parser.add_argument("--topic", required=True, help="slug of the topic for questions no --topic-map matches")
        parser.add_argument(
            "--topic-map",
            action="append",
            default=[],
            metavar="TAG=SLUG",
            help="put questions tagged TAG under topic SLUG (repeatable; the question's first mapped tag wins)",
        )
        parser.add_argument(
            "--source", default="stackexchange", help="name of the source, for re-runs (default %(default)s)"
        )
        parser.add_argument("--visibility", choices=[Visibility.PUBLIC, Visibility.NETWORK], default=Visibility.PUBLIC)
        parser.add_argument("--network", help="slug of the network, with --visibility network")
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args, path, topic, topic_map, source, visibility, network, batch_size, **options):
        try:
            default_topic = topic_by_slug(topic)
            topics_by_tag = {}
            for entry in topic_map:
                tag, sep, slug = entry.partition("=")
                if not sep or not tag.strip() or not slug.strip():
                    raise ImportRefused(f"--topic-map takes TAG=SLUG, not “{entry}”.")
                topics_by_tag[tag.strip().lower()] = topic_by_slug(slug.strip())
            if visibility == Visibility.NETWORK and not network:
                raise ImportRefused("--visibility network needs --network SLUG.")
            shared_with = network_by_slug(network) if visibility == Visibility.NETWORK else None
        except ImportRefused as error:
            raise CommandError(str(error)) from None
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")

        try:
            with tqdm(desc="Reading Posts.xml", unit=" posts", disable=None) as bar:
                found = stackexchange.scan(path, progress=bar.update)
            already = imported_ids(source) & found.chosen.keys()
            summary = Summary(duplicates=len(already))
            pairs = stackexchange.questions_with_answers(path, found, skip=already)
            with tqdm(total=len(found.chosen) - len(already), desc="Importing", unit=" answers", disable=None) as bar:

                def items():
                    for pair in pairs:
                        try:
                            yield self.incoming(pair, topics_by_tag, default_topic, visibility, shared_with)
                        except ValueError as error:
                            summary.errors.append((f"question {pair.question.id}", str(error)))
                            bar.update(1)

                items_import(source=source, items=items(), summary=summary, batch_size=batch_size, progress=bar.update)
        except stackexchange.PostsFileError as error:
            raise CommandError(str(error)) from None
        summary.without_answer = found.unanswered
        for line in summary.lines():
            self.stdout.write(line)

    def incoming(self, pair, topics_by_tag, default_topic, visibility, network):
        question, answer = pair.question, pair.answer
        title = " ".join(question.title.split())
        if not title:
            raise ValueError("the question has no title")
        if len(title) > 255:
            title = title[:254].rsplit(" ", 1)[0] + "…"
        question_text = stackexchange.html_to_text(question.body)
        answer_html = stackexchange.clean_html(answer.body)
        if not question_text:
            raise ValueError("the question has no text")
        if not answer_html:
            raise ValueError(f"answer {answer.id} has no text")
        topic = next((topics_by_tag[t.lower()] for t in question.tags if t.lower() in topics_by_tag), default_topic)
        published = answer.created_at or question.created_at or timezone.now()
        item = BulkQuestion(
            topic=topic,
            title=title,
            question_text=question_text,
            answer=answer_html,
            visibility=visibility,
            network=network,
            published_at=published,
            asked_on=timezone.localdate(question.created_at or published),
        )
        item.check()
        return Incoming(external_id=question.id, question=item)
