from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "qa_site.accounts"
    label = "accounts"
    verbose_name = "Accounts"
