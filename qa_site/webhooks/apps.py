from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "qa_site.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"

    def ready(self):
        from . import signal_handlers

        signal_handlers.register()
