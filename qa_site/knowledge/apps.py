from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    name = "qa_site.knowledge"
    label = "knowledge"
    verbose_name = "Questions and knowledge base"

    def ready(self):
        from . import fragments, generation, signal_handlers  # noqa: F401  (fragments registers itself)

        signal_handlers.register()
        generation.connect()
