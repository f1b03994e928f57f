"""Who an imported answer is by and where it comes from, as its licence requires it to be credited.

Answers imported from a Stack Exchange dump are CC BY-SA: every copy must name the site, link to the original,
name the authors (linked to their profiles where known) and name and link the licence. ``QuestionPage`` keeps
these in its ``source_*`` fields (the importers fill them; see docs/imports.md); this module turns them into the
same credit wherever an answer appears: the answer page (``{% attribution page %}``), feeds (``as_text`` in the
summary, ``as_html`` in the content) and the widget (``as_json``).
"""

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.template.loader import render_to_string

ROLES = {"question": "question", "answer": "answer"}


def web_url(value):
    """``value`` if it is an http(s) address, else "" (nothing else is ever put in a link)."""
    value = (value or "").strip()
    parts = urlsplit(value)
    return value if parts.scheme in ("http", "https") and parts.netloc else ""


@dataclass(frozen=True)
class Author:
    name: str
    url: str = ""
    role: str = ""  # "question", "answer" or "" (the original as a whole)


@dataclass(frozen=True)
class Attribution:
    name: str
    url: str = ""
    authors: tuple = field(default_factory=tuple)
    licence: str = ""
    licence_url: str = ""

    @classmethod
    def of(cls, page):
        """The attribution of ``page`` (a QuestionPage), or None when it names no source."""
        name, url = (page.source_name or "").strip(), web_url(page.source_url)
        if not name and not url:
            return None
        authors = []
        for entry in page.source_authors or []:
            if isinstance(entry, dict) and str(entry.get("name") or "").strip():
                role = entry.get("role") if entry.get("role") in ROLES else ""
                authors.append(Author(str(entry["name"]).strip(), web_url(entry.get("url")), role))
        return cls(
            name=name or urlsplit(url).hostname or url,
            url=url,
            authors=tuple(authors),
            licence=(page.source_licence or "").strip(),
            licence_url=web_url(page.source_licence_url),
        )

    def as_html(self):
        return render_to_string("knowledge/includes/attribution.html", {"source": self}).strip()

    def as_text(self):
        """One sentence, for plain-text places (a feed item's summary)."""
        text = f"Adapted from {self.url} on {self.name}" if self.url else f"Adapted from {self.name}"
        if self.authors:
            text += ", " + ", ".join(
                f"{author.role} by {author.name}" if author.role else f"by {author.name}" for author in self.authors
            )
        if self.licence:
            text += f". Licensed under {self.licence}"
            if self.licence_url:
                text += f" ({self.licence_url})"
        return text + "."

    def as_json(self):
        return {
            "name": self.name,
            "url": self.url or None,
            "authors": [{"name": a.name, "url": a.url or None, "role": a.role or None} for a in self.authors],
            "licence": {"name": self.licence, "url": self.licence_url or None} if self.licence else None,
            "text": self.as_text(),
        }
