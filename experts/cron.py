"""Scheduled jobs, for rq's cron scheduler when REDIS_URL is set: `manage.py rqcron experts.cron`."""

from rq import cron

from experts.jobs import sla_sweep

cron.register(sla_sweep, queue_name="default", interval=60)
