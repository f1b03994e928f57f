from django.apps import AppConfig


class SubscriptionsConfig(AppConfig):
    name = "subscriptions"
    verbose_name = "Networks and subscriptions"

    def ready(self):
        from . import signal_handlers

        signal_handlers.connect()
