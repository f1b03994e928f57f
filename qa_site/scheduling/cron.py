"""The schedule for rq's cron scheduler, when REDIS_URL is set: `manage.py rqcron qa_site.scheduling.cron`."""

from django.utils.module_loading import import_string
from rq import cron

from qa_site.scheduling.schedule import JOBS

for path, seconds in JOBS:
    cron.register(import_string(path), queue_name="default", interval=seconds)
