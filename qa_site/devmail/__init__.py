"""The development mailbox: e-mail kept as files instead of sent, and read in the admin.

With ``EMAIL_BACKEND = "qa_site.devmail.MailboxBackend"`` (development's default, ``settings/dev.py``) every
e-mail is written to ``DEV_MAILBOX_DIR`` (``var/mail/``) as one ``.eml`` file, named by the moment it was sent
and its subject (``20261207-091502-123456-answered-can-our-trustees.eml``, so the names sort by time), and the
console gets one line per e-mail: the time, the recipients, the subject and the file. Coordinators read the mails
at ``/admin/mail/`` (``views.py``), which exists only while this backend is in use.

A leaf: it imports no app of this project.
"""

import datetime as dt
import re
import sys
import threading
from email import policy
from email.parser import BytesHeaderParser, BytesParser
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.utils.text import slugify

BACKEND = "qa_site.devmail.MailboxBackend"
# What a stored mail's name may be: the time, the subject's slug, ".eml". Anything else is not one of ours.
NAME = re.compile(r"\A\d{8}-\d{6}-\d{6}(?:-[a-z0-9]+)*(?:~\d+)?\.eml\Z")
SUBJECT_SLUG_LENGTH = 60


def in_use():
    return settings.EMAIL_BACKEND == BACKEND


def mailbox_dir():
    return Path(getattr(settings, "DEV_MAILBOX_DIR", None) or settings.VAR_DIR / "mail")


def file_name(subject, when):
    slug = slugify(subject or "")[:SUBJECT_SLUG_LENGTH].strip("-") or "no-subject"
    return f"{when:%Y%m%d-%H%M%S-%f}-{slug}.eml"


class MailboxBackend(BaseEmailBackend):
    """Writes each message to its own ``.eml`` file and prints one line about it."""

    _lock = threading.Lock()

    def __init__(self, *args, stream=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.stream = stream or sys.stdout

    def send_messages(self, email_messages):
        sent = 0
        folder = mailbox_dir()
        for message in email_messages:
            if not message.recipients():
                continue
            folder.mkdir(parents=True, exist_ok=True)
            now = dt.datetime.now(dt.UTC)
            path = self._write(folder, file_name(message.subject, now), message.message().as_bytes(linesep="\n"))
            to = ", ".join(message.recipients())
            line = f"[mail {now.astimezone():%H:%M:%S}] to {to}: {message.subject} → {_shown(path)}"
            with self._lock:
                self.stream.write(line + "\n")
                self.stream.flush()
            sent += 1
        return sent

    def _write(self, folder, name, data):
        """Writes ``data`` to a new file; a second mail in the same microsecond gets ``~2``, ``~3``…"""
        stem, number = name.removesuffix(".eml"), 1
        while True:
            path = folder / (name if number == 1 else f"{stem}~{number}.eml")
            try:
                with path.open("xb") as handle:
                    handle.write(data)
            except FileExistsError:
                number += 1
                continue
            return path


def _shown(path):
    """``var/mail/….eml`` when the file is under the current directory (as with ``make run``), else the full path."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


# --- Reading the mailbox ------------------------------------------------------------------------------------------


def names():
    """The stored mails' file names, newest first."""
    folder = mailbox_dir()
    if not folder.is_dir():
        return []
    return sorted(
        (entry.name for entry in folder.iterdir() if NAME.match(entry.name) and entry.is_file()), reverse=True
    )


def path_of(name):
    """The file of the mail called ``name``, or None when there is no such mail (or the name is not a mail's)."""
    if not isinstance(name, str) or not NAME.match(name):
        return None
    path = mailbox_dir() / name
    return path if path.is_file() else None


def headers(name):
    """To, subject and date of one mail, reading its headers only."""
    with path_of(name).open("rb") as handle:
        message = BytesHeaderParser(policy=policy.default).parse(handle)
    return _summary(name, message)


def read(name):
    """One mail: its headers, text part, HTML part and the names of any attachments."""
    with path_of(name).open("rb") as handle:
        message = BytesParser(policy=policy.default).parse(handle)
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    attachments = [part.get_filename() or part.get_content_type() for part in message.iter_attachments()]
    return {
        **_summary(name, message),
        "from": str(message.get("From", "")),
        "cc": str(message.get("Cc", "")),
        "reply_to": str(message.get("Reply-To", "")),
        "text": text.get_content() if text is not None else "",
        "html": html.get_content() if html is not None else "",
        "attachments": attachments,
    }


def _summary(name, message):
    try:
        date = message["Date"].datetime if message["Date"] else None
    except (AttributeError, TypeError, ValueError):
        date = None
    return {"name": name, "to": str(message.get("To", "")), "subject": str(message.get("Subject", "")), "date": date}
