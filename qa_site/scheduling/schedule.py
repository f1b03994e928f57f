"""Every job that runs on a timer, and how often. One list, read by rq's cron (with Redis) and by
``manage.py run_schedule`` (the embedded default). Each job is idempotent, so an extra run does no harm."""

JOBS = [
    # (dotted path of the job, seconds between runs)
    ("experts.jobs.sla_sweep", 60),  # SLA reminders, breach alerts, re-routing
    ("subscriptions.jobs.billing_sweep", 60 * 60),  # renewal invoices, overdue reminders, grace, expiry
    ("feeds.counting.flush", 5 * 60),  # widget views and clicks counted in the cache, into the value report
    ("experts.jobs.review_sweep", 24 * 60 * 60),  # published answers past their review-by date go back to experts
    # Alert digests: daily from 07:00 Europe/London (feeds.alerts.DIGEST_HOUR), weekly on Mondays from 07:00. Each
    # run sends the digests whose moment has come and not been claimed, so these times hold across clock changes.
    ("feeds.jobs.send_alert_digests", 10 * 60),
]
