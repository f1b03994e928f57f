"""Probes for load balancers and monitoring: ``GET /healthz`` and ``GET /readyz``.

- ``/healthz`` answers 200 ``ok`` while the process can answer at all; it touches nothing else (liveness).
- ``/readyz`` answers JSON with the state of what the site depends on — the database, the job queue (depth,
  failed jobs, workers) and the outbox, search, and the scheduler's last completed run — 200 when all are
  usable and 503 otherwise. Search counts as usable while Elasticsearch is down (the database answers).
  It never shows a traceback, an address or a password: only states, counts and exception class names.

Both are answered by ``HealthMiddleware``, first in ``MIDDLEWARE``: before the host-name check (probes come by
IP address), the HTTPS redirect, sessions, the cache and the request log.
"""

import time

import django_rq
from django.conf import settings
from django.db import connection
from django.db.models import Min
from django.http import HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.utils import timezone
from rq import Worker
from rq.registry import FailedJobRegistry

from qa_site.outbox.models import OutboxMessage
from qa_site.outbox.relay import QUEUE
from qa_site.scheduling import scheduler
from search.backends import get_backend

PATHS = ("/healthz", "/readyz")


def _timed(check):
    started = time.monotonic()
    try:
        result = check()
    except Exception as exc:  # a probe must answer whatever broke; the class name says enough
        result = {"ok": False, "error": f"{type(exc).__name__}: unavailable"}
    result["ms"] = round((time.monotonic() - started) * 1000, 1)
    return result


def check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True, "engine": connection.vendor}


def check_queue():
    """The rq queue: reachable, how many jobs wait, failed and workers; and the outbox behind it."""
    now = timezone.now()
    waiting = OutboxMessage.objects.filter(state__in=OutboxMessage.WAITING, available_at__lte=now)
    oldest = waiting.aggregate(oldest=Min("created_at"))["oldest"]
    outbox = {
        "waiting": waiting.count(),
        "oldest_waiting_seconds": round((now - oldest).total_seconds()) if oldest else 0,
        "failed": OutboxMessage.objects.filter(state=OutboxMessage.State.FAILED).count(),
    }
    stuck = outbox["oldest_waiting_seconds"] > settings.OUTBOX_STUCK_AFTER
    queue = django_rq.get_queue(QUEUE)
    if not queue.is_async:
        return {"ok": not stuck, "mode": "in-process", "outbox": outbox}
    queue.connection.ping()
    workers = Worker.count(queue=queue)
    return {
        "ok": workers > 0 and not stuck,
        "mode": "redis",
        "depth": queue.count,
        "failed": FailedJobRegistry(queue=queue).count,
        "workers": workers,
        "outbox": outbox,
    }


def check_search():
    return get_backend().health()


def check_scheduler():
    last = scheduler.last_completed()
    if last is None:
        return {"ok": False, "last_run": None, "error": "no scheduled job has run yet (is the scheduler running?)"}
    age = (timezone.now() - last).total_seconds()
    return {
        "ok": age <= settings.SCHEDULER_STALE_AFTER,
        "last_run": last.isoformat(timespec="seconds"),
        "seconds_ago": round(age),
    }


CHECKS = {"database": check_database, "queue": check_queue, "search": check_search, "scheduler": check_scheduler}


def readiness():
    checks = {}
    for name, check in CHECKS.items():
        if name != "database" and not checks["database"]["ok"]:
            # Everything else reads the database: say so rather than time out on each.
            checks[name] = {"ok": False, "error": "the database is unavailable"}
            continue
        checks[name] = _timed(check)
    ready = all(check["ok"] for check in checks.values())
    body = {
        "status": "ready" if ready else "not ready",
        "checked_at": timezone.now().isoformat(timespec="seconds"),
        "checks": checks,
    }
    return body, 200 if ready else 503


class HealthMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path not in PATHS:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        if request.path == "/healthz":
            response = HttpResponse("ok\n", content_type="text/plain")
        else:
            body, status = readiness()
            response = JsonResponse(body, status=status, json_dumps_params={"indent": 2})
            # A 503 here is an answer, not a server error: not logged (and not sent to Sentry) on every probe.
            response._has_been_logged = True
        response["Cache-Control"] = "no-store"
        return response
