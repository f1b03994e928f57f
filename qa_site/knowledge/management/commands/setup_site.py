from django.core.management.base import BaseCommand

from qa_site.knowledge.setup import ensure_coordinators_group, ensure_site_tree


class Command(BaseCommand):
    help = "Create the page tree and the Coordinators group if they are missing (safe to run again)."

    def handle(self, *args, **options):
        home, topics = ensure_site_tree()
        ensure_coordinators_group()
        self.stdout.write(
            self.style.SUCCESS(f"Site ready: home page “{home.title}”, knowledge base at {topics.url_path}.")
        )
