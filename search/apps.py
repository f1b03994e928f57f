from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "search"
    label = "qa_search"
    verbose_name = "Search"
