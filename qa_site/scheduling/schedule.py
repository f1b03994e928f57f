"""Every job that runs on a timer, and how often. One list, run by ``manage.py run_schedule`` (the ``scheduler``
process in the Procfile; on the embedded default, started by ``make run``). Each run of a job is claimed in the
database (``ScheduledJob``), so a second scheduler started by mistake runs nothing twice; each job is idempotent
besides, so a run repeated after a crash does no harm."""

JOBS = [
    # (dotted path of the job, seconds between runs)
    ("qa_site.outbox.relay.relay", 10),  # side effects the queue lost or never got, handed over again
    ("experts.sla.sweep", 60),  # SLA reminders, breach alerts, re-routing
    ("qa_site.webhooks.delivery.retry_due", 60),  # webhook messages whose next try has come
    ("subscriptions.billing.sweep", 60 * 60),  # renewal invoices, overdue reminders, grace, expiry
    ("feeds.counting.flush", 5 * 60),  # widget views and clicks counted in the cache, into the value report
    ("search.querylog.flush", 10),  # searches queued in the cache, into the query log
    ("experts.reviews.sweep", 24 * 60 * 60),  # published answers past their review-by date go back to experts
    # Alert digests: daily from 07:00 Europe/London (feeds.alerts.DIGEST_HOUR), weekly on Mondays from 07:00. Each
    # run sends the digests whose moment has come and not been claimed, so these times hold across clock changes.
    ("feeds.alerts.digests_send_due", 10 * 60),
    ("qa_site.outbox.relay.purge", 24 * 60 * 60),  # done side effects older than OUTBOX_KEEP_DAYS
    ("qa_site.webhooks.delivery.purge", 24 * 60 * 60),  # finished webhook messages older than WEBHOOKS_KEEP_DAYS
]
