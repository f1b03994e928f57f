from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "search"
    label = "qa_search"
    verbose_name = "Search"

    def ready(self):
        from . import signal_handlers

        signal_handlers.register()
