"""Side effects, recorded with the change that causes them (a transactional outbox).

Every service that changes something and must cause something else — route a question, send an e-mail, update
the search index, alert followers — calls ``outbox.enqueue(job, *args)`` inside its transaction. That writes an
``OutboxMessage`` row in the same transaction, so the change and its side effects commit together or not at all.
Once the transaction commits, the messages are handed to rq; a worker runs ``relay.deliver(message_id)``, which
claims the message, runs the job, and marks it done. When Redis is down the hand-over fails quietly and the
relay (a scheduled job) hands the message over again later; a worker that dies mid-job leaves its message to be
taken again when its lease runs out; a job that fails is tried again later, a few times, with growing gaps.

Jobs take ids and re-read, so running one twice does no harm; e-mails a job sent before it was interrupted are
not sent again (``qa_site.mail`` asks ``relay.mail_already_sent``). See docs/architecture.md, "Side effects".
"""


def enqueue(job, *args, **kwargs):
    """Record that ``job`` (a function, or its dotted path) must run with these JSON-able arguments, once the
    current transaction commits (at once, outside one). Returns the ``OutboxMessage``."""
    from .relay import record

    return record(job, args, kwargs)


def enqueue_once(job, *args, **kwargs):
    """``enqueue``, unless the same job with the same arguments was already recorded in this transaction (for
    signal handlers that hear about one change several times). Returns the message, or None."""
    from .relay import record

    return record(job, args, kwargs, once=True)
