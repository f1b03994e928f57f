"""Signals the Q&A core sends for apps above it (search indexing, for one) to act on without the core importing them."""

from django.dispatch import Signal

# Sent after question pages were created in bulk (imports, generated benchmark data), which bypasses
# Wagtail's per-page publish signals. Argument: ``page_ids`` — a list of the new QuestionPage ids.
pages_bulk_created = Signal()
