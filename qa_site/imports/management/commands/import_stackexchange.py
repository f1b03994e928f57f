"""Import answered questions from a Stack Exchange data dump (Posts.xml) as published answers.

    manage.py import_stackexchange dump/Posts.xml --site money.stackexchange.com --topic charity-law
    manage.py import_stackexchange dump/Posts.xml --site money.stackexchange.com --topic funding \\
        --topic-map gift-aid=vat-finance --source stackexchange:money --visibility network --network northshire-rcc

Each question comes with its accepted answer, or else its highest-scored one; questions without answers are
skipped. Every page credits the site, the original question, its authors (named from Users.xml beside Posts.xml,
or --users) and the licence, as CC BY-SA requires. Running it again imports only what is new (items are known by
--source and the question's Id), and fills in that credit on pages imported before it was recorded.
"""

from pathlib import Path

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
    pages_without_source,
    topic_by_slug,
)
from qa_site.knowledge.bulk import BulkQuestion, update_sources
from subscriptions.access import Visibility


class Command(BaseCommand):
    help = "Import questions and their best answer from a Stack Exchange Posts.xml as published answers."

    def add_arguments(self, parser):
        parser.add_argument("path", help="the dump's Posts.xml")
        parser.add_argument("--topic", required=True, help="slug of the topic for questions no --topic-map matches")
        parser.add_argument(
            "--site",
            required=True,
            help="the site the dump is from, e.g. coffee.stackexchange.com: imported answers credit it and link to it",
        )
        parser.add_argument(
            "--users",
            help="the dump's Users.xml, for the authors' names (default: Users.xml beside Posts.xml, if there is one)",
        )
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

    def handle(self, *args, path, topic, site, users, topic_map, source, visibility, network, batch_size, **options):
        try:
            self.host = stackexchange.site_host(site)
        except ValueError as error:
            raise CommandError(f"--site: {error}") from None
        users_path = Path(users) if users else Path(path).with_name("Users.xml")
        if users and not users_path.is_file():
            raise CommandError(f"--users: no such file: {users}")
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
            self.names = {}
            if users_path.is_file():
                with tqdm(desc="Reading Users.xml", unit=" users", disable=None) as bar:
                    self.names = stackexchange.read_users(users_path, found.authors)
            already = imported_ids(source) & found.chosen.keys()
            # Pages imported before their credit was recorded: read again, to fill it in.
            uncredited = pages_without_source(source) if already else {}
            summary = Summary(duplicates=len(already))
            pairs = stackexchange.questions_with_answers(path, found, skip=already - uncredited.keys())
            credits = {}
            with tqdm(total=len(found.chosen) - len(already), desc="Importing", unit=" answers", disable=None) as bar:

                def items():
                    for pair in pairs:
                        try:
                            item = self.incoming(pair, topics_by_tag, default_topic, visibility, shared_with)
                        except ValueError as error:
                            if pair.question.id not in uncredited:
                                summary.errors.append((f"question {pair.question.id}", str(error)))
                                bar.update(1)
                            continue
                        if pair.question.id in uncredited:
                            credits[uncredited[pair.question.id]] = {
                                **item.question.source_fields(),
                                "answer": item.question.answer,
                            }
                        else:
                            yield item

                items_import(source=source, items=items(), summary=summary, batch_size=batch_size, progress=bar.update)
        except stackexchange.PostsFileError as error:
            raise CommandError(str(error)) from None
        summary.without_answer = found.unanswered
        credited = update_sources(credits) if credits else 0
        for line in summary.lines():
            self.stdout.write(line)
        if credited:
            self.stdout.write(f"Credit to the original added to pages imported before: {credited}")

    def incoming(self, pair, topics_by_tag, default_topic, visibility, network):
        question, answer = pair.question, pair.answer
        title = " ".join(question.title.split())
        if not title:
            raise ValueError("the question has no title")
        if len(title) > 255:
            title = title[:254].rsplit(" ", 1)[0] + "…"
        question_text = stackexchange.html_to_text(question.body)
        answer_html = stackexchange.clean_html(answer.body, original_url=stackexchange.answer_url(self.host, answer.id))
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
            source_name=self.host,
            source_url=stackexchange.question_url(self.host, question.id),
            source_authors=[
                credit
                for credit in (
                    stackexchange.author(self.host, question, self.names, "question"),
                    stackexchange.author(self.host, answer, self.names, "answer"),
                )
                if credit
            ],
            source_licence=stackexchange.LICENCE,
            source_licence_url=stackexchange.LICENCE_URL,
        )
        item.check()
        return Incoming(external_id=question.id, question=item)
