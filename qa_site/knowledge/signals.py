"""Signals the Q&A core sends for apps above it (search indexing, for one) to act on without the core importing them."""

from django.dispatch import Signal

# Sent after question pages were created in bulk (imports, generated benchmark data), which bypasses
# Wagtail's per-page publish signals. Argument: ``page_ids`` — a list of the new QuestionPage ids.
pages_bulk_created = Signal()

# Sent inside the transaction of a lifecycle change, so that a receiver recording a side effect in the outbox
# (outbound webhooks, for one) commits with the change or not at all. Receivers must not do slow work here.
#
# ``question_published``: a coordinator published the answer to ``question`` (a ``Question``); ``page`` is its new
# ``QuestionPage``, or None for a private question (delivered to the asker only).
question_published = Signal()
# ``clarification_requested``: the expert asked the adviser for more detail on ``question``.
clarification_requested = Signal()
