"""Signals the subscriptions app sends for apps above it to act on without this app importing them.

Each is sent inside the transaction of the change, so that a receiver recording a side effect in the outbox commits
with the change or not at all.
"""

from django.dispatch import Signal

# ``renewal_invoice_issued``: the billing sweep issued ``invoice`` (an ``Invoice``) to renew ``subscription``.
renewal_invoice_issued = Signal()
