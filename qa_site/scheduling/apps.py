from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "qa_site.scheduling"
    label = "scheduling"
    verbose_name = "Scheduled jobs"
