import time

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections
from django.utils import timezone

from experts import sla


class Command(BaseCommand):
    help = (
        "Run the SLA sweep: remind experts of questions at risk, alert coordinators of breaches. "
        "With --every N, keep running it every N seconds. The scheduler (manage.py run_schedule) runs it every minute; "
        "this command is for running it by hand."
    )

    def add_arguments(self, parser):
        parser.add_argument("--every", type=int, default=0, metavar="SECONDS", help="Repeat every N seconds.")

    def handle(self, *args, every=0, **options):
        if every < 0:
            raise CommandError("--every must be a positive number of seconds.")
        while True:
            done = sla.sweep()
            stamp = timezone.localtime().strftime("%H:%M:%S")
            self.stdout.write(
                f"{stamp} SLA sweep: {done['reminded']} reminded, {done['breached']} breached, "
                f"{done['rerouted']} re-routed"
            )
            if not every:
                return
            close_old_connections()
            time.sleep(every)
