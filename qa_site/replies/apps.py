from django.apps import AppConfig


class RepliesConfig(AppConfig):
    name = "qa_site.replies"
    label = "replies"
    verbose_name = "Replies by e-mail"

    def ready(self):
        from anymail.signals import inbound

        from . import services

        inbound.connect(services.on_inbound, dispatch_uid="qa_site.replies.on_inbound")
