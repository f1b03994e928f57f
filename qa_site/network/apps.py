from django.apps import AppConfig


class NetworkConfig(AppConfig):
    name = "qa_site.network"
    label = "network"
    verbose_name = "Network admins' pages"
