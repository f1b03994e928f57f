from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "qa_site.api"
    label = "api"
    verbose_name = "JSON API"
