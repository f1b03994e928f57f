from django.apps import AppConfig


class FeedsConfig(AppConfig):
    name = "feeds"
    verbose_name = "Feeds and syndication"

    def ready(self):
        from . import alerts, caching

        caching.connect()
        alerts.connect()
