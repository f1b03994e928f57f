from django.apps import AppConfig


class FeedsConfig(AppConfig):
    name = "feeds"
    verbose_name = "Feeds and syndication"

    def ready(self):
        from . import alerts, fragments  # noqa: F401  (fragments registers itself)

        alerts.connect()
