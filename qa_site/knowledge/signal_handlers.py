"""Keep ``QuestionPage.topic`` in step with the page tree when an editor moves an answer."""

from wagtail.signals import post_page_move


def _sync_topic_after_move(sender, instance, parent_page_after, **kwargs):
    from .models import QuestionPage

    QuestionPage.objects.filter(pk=instance.pk).update(topic_id=parent_page_after.pk)


def register():
    from .models import QuestionPage

    post_page_move.connect(_sync_topic_after_move, sender=QuestionPage, dispatch_uid="knowledge-topic-sync")
