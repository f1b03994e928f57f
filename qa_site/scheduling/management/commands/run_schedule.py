import time

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections
from django.utils import timezone
from django.utils.module_loading import import_string

from qa_site.scheduling.schedule import JOBS


class Command(BaseCommand):
    help = (
        "Run the scheduled jobs (the SLA sweep every minute, the billing sweep every hour) without Redis: what "
        "`make run` does on the embedded default. With REDIS_URL, rq's cron runs them instead "
        "(manage.py rqcron qa_site.scheduling.cron). --once runs every job once and stops."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run each job once, then stop.")
        parser.add_argument("--tick", type=int, default=5, help="Seconds between checks for due jobs.")

    def handle(self, *args, once=False, tick=5, **options):
        if tick < 1:
            raise CommandError("--tick must be at least 1 second.")
        jobs = [(path, import_string(path), seconds) for path, seconds in JOBS]
        last_run = {}
        while True:
            now = time.monotonic()
            for path, job, seconds in jobs:
                if once or now - last_run.get(path, -seconds) >= seconds:
                    last_run[path] = now
                    try:
                        result = job()
                    except Exception as exc:  # keep the schedule alive; the error is printed and logged
                        self.stderr.write(f"{timezone.localtime():%H:%M:%S} {path} failed: {exc!r}")
                        continue
                    self.stdout.write(f"{timezone.localtime():%H:%M:%S} {path}: {result}")
            if once:
                return
            close_old_connections()
            time.sleep(tick)
