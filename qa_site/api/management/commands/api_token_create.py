"""``manage.py api_token_create --user EMAIL --scopes read,ask --name NAME``: prints the new token, and nothing else."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from qa_site.api import tokens


class Command(BaseCommand):
    help = "Make a personal API token for a person and print it (only the token: it is shown once)."

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, help="The person's e-mail address.")
        parser.add_argument("--scopes", required=True, help="Comma-separated: read, ask, report.")
        parser.add_argument("--name", required=True, help="What will use it.")

    def handle(self, *args, user, scopes, name, **options):
        person = get_user_model().objects.filter(email__iexact=user.strip()).first()
        if person is None:
            raise CommandError(f"No account has the e-mail address {user!r}.")
        try:
            _record, token = tokens.token_create(user=person, name=name, scopes=scopes.split(","))
        except tokens.TokenRefused as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(token)
