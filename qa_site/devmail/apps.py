from django.apps import AppConfig


class DevmailConfig(AppConfig):
    name = "qa_site.devmail"
    label = "devmail"
    verbose_name = "Development mailbox"
