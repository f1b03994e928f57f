"""Replying by e-mail into a question's clarification thread (issue 15; docs/email-replies.md).

The core's e-mails that ask someone to act carry ``Reply-To: reply+<token>@REPLY_DOMAIN``
(``qa_site.knowledge.reply_addresses``). The mail provider posts each reply to one of the inbound URLs here
(``views.py``: any provider django-anymail knows, or the raw MIME message); anymail's ``inbound`` signal hands the
normalised message to ``services.reply_receive``, which checks the address and the sender, keeps only what was
written above the quoted text (``text.py``), and calls the same service as the site's form — or refuses, by e-mail.
"""
