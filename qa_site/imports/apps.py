from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "qa_site.imports"
    label = "imports"
    verbose_name = "Imports"
