import signal
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections
from django.utils import timezone

from qa_site.scheduling import scheduler


class Command(BaseCommand):
    help = (
        "Run the scheduled jobs (qa_site/scheduling/schedule.py: the outbox relay every 10 s, the SLA sweep every "
        "minute, billing every hour, digests, reviews): the `scheduler` process of the Procfile, and what `make run` "
        "starts beside the web server. Each turn of a job is claimed in the database, so a second scheduler does "
        "no harm. Keeps running through Redis and database outages; stops cleanly on SIGTERM or Ctrl-C. "
        "--once runs every job once and stops."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run each job once (due or not), then stop.")
        parser.add_argument("--tick", type=float, default=2, help="Seconds between checks for due jobs.")

    def handle(self, *args, once=False, tick=2, **options):
        if tick <= 0:
            raise CommandError("--tick must be more than 0 seconds.")
        if once:
            for name, outcome in scheduler.tick(force=True).items():
                self.stdout.write(f"{timezone.localtime():%H:%M:%S} {name}: {outcome}")
            return
        stopping = []
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stopping.append(True))
        self.stdout.write(f"Scheduler {scheduler.identity()} started: {len(scheduler.JOBS)} jobs.")
        while not stopping:
            scheduler.tick()  # each job logs what it did (qa_site.jobs)
            close_old_connections()  # as a request's end would: connections past DB_CONN_MAX_AGE are closed
            deadline = time.monotonic() + tick
            while not stopping and time.monotonic() < deadline:
                time.sleep(min(0.2, tick))
        self.stdout.write("Scheduler stopped.")
