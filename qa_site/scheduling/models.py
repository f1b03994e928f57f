"""When each scheduled job last ran and next runs, shared by every scheduler process through the database."""

from django.db import models


class ScheduledJob(models.Model):
    """One job of the schedule (``schedule.JOBS``). A scheduler runs it only after claiming it with a conditional
    UPDATE that moves ``next_run_at`` on, so two schedulers never run the same turn."""

    name = models.CharField(max_length=200, primary_key=True, help_text="The job's dotted path.")
    interval = models.PositiveIntegerField(help_text="Seconds between runs.")
    next_run_at = models.DateTimeField()
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_outcome = models.CharField(max_length=500, blank=True)
    last_error = models.TextField(blank=True)
    last_duration_ms = models.PositiveIntegerField(null=True, blank=True)
    claimed_by = models.CharField(max_length=200, blank=True, help_text="host:pid of the scheduler that last ran it.")
    runs = models.PositiveIntegerField(default=0)
    failures = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name
