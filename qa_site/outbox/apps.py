from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "qa_site.outbox"
    label = "outbox"
    verbose_name = "Side effects (outbox)"
