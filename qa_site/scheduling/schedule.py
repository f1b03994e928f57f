"""Every job that runs on a timer, and how often. One list, read by rq's cron (with Redis) and by
``manage.py run_schedule`` (the embedded default). Each job is idempotent, so an extra run does no harm."""

JOBS = [
    # (dotted path of the job, seconds between runs)
    ("experts.jobs.sla_sweep", 60),  # SLA reminders, breach alerts, re-routing
    ("subscriptions.jobs.billing_sweep", 60 * 60),  # renewal invoices, overdue reminders, grace, expiry
]
