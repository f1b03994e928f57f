import logging
import signal
import time

import django_rq
from django.core.management.base import BaseCommand
from django.db import connections

from qa_site.outbox.relay import QUEUE, queue_outage
from qa_site.outbox.worker import WORKER_TTL, OutboxWorker
from qa_site.resilience import REDIS_DOWN

log = logging.getLogger("qa_site.outbox.worker")


def _stop_was_asked(worker):
    """Did rq's worker stop because it was told to (SIGTERM, SIGINT), rather than on an error?"""
    return worker is not None and getattr(worker, "_shutdown_requested_date", None) is not None


class Command(BaseCommand):
    help = (
        "Run an rq worker on the job queue (the `worker` process of the Procfile; start as many as you need). "
        "Unlike a bare `rqworker`, it waits out a Redis outage instead of exiting: when Redis comes back it takes "
        "up work within a few seconds. SIGTERM finishes the job in hand, then stops. --burst works until the "
        "queue is empty, then stops."
    )

    def add_arguments(self, parser):
        parser.add_argument("--burst", action="store_true", help="Stop once the queue is empty.")
        parser.add_argument(
            "--reconnect-every", type=float, default=3.0, help="Seconds between tries while Redis is unreachable."
        )

    def handle(self, *args, burst=False, reconnect_every=3.0, **options):
        stopping = []

        def stop(*_):
            stopping.append(True)

        while not stopping:
            # Each job runs in a forked child: no database connection of this process may cross the fork.
            connections.close_all()
            worker = None
            try:
                worker = django_rq.get_worker(QUEUE, worker_class=OutboxWorker, worker_ttl=WORKER_TTL)
                # rq retries a lost connection with growing pauses, up to a minute by default: come back sooner.
                worker.max_connection_wait_time = reconnect_every
                worker.work(burst=burst, with_scheduler=False, logging_level="INFO")
            except REDIS_DOWN as exc:
                queue_outage.failed(exc)
            except Exception:
                log.exception("The worker stopped on an error; starting it again")
            else:
                if burst or _stop_was_asked(worker):
                    return
                # rq returned after a connection error it could not ride out (it logged it): start again.
            # rq's handlers are gone between runs: a stop request now ends the loop.
            for signum in (signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, stop)
            if _stop_was_asked(worker):
                return
            deadline = time.monotonic() + reconnect_every
            while not stopping and time.monotonic() < deadline:
                time.sleep(0.1)
