"""Read questions and their best answer from a Stack Exchange data dump's Posts.xml, without loading it whole.

Posts.xml is one ``<posts>`` element of ``<row …/>`` elements, every field an attribute: ``Id``,
``PostTypeId`` (1 question, 2 answer), ``ParentId`` (an answer's question), ``AcceptedAnswerId``,
``Score``, ``CreationDate`` (ISO 8601, UTC, no zone), ``Title``, ``Body`` (HTML) and ``Tags``
(``<a><b>`` in older dumps, ``|a|b|`` in newer ones).

The file is read twice with lxml's ``iterparse``, each row dropped once read: the first pass picks each
question's answer (the accepted one, or else the highest-scored, the earlier on a tie); the second yields
each question with the text of that answer. Only what the pairing needs is held: ids and scores, and the
questions still waiting for their chosen answer further on in the file (answers follow their question, so
few wait long).
"""

import datetime as dt
import html
import re
from dataclasses import dataclass, field

import lxml.html
import nh3
from lxml import etree

QUESTION, ANSWER = "1", "2"

# Stack Exchange content is CC BY-SA (2.5, 3.0 or 4.0 by the date of each contribution). Imported answers are
# adaptations (HTML cleaned, images left out) of a question and an answer together, which the earlier versions allow
# under a later version with the same elements: they are credited as CC BY-SA 4.0.
LICENCE = "CC BY-SA 4.0"
LICENCE_URL = "https://creativecommons.org/licenses/by-sa/4.0/"
# The alt text Stack Exchange's editor puts on images whose author gave none: it describes nothing.
_PLACEHOLDER_ALT = {"", "enter image description here", "image", "alt text"}
_EMPTY_LINK = re.compile(r"<a\b[^>]*>(\s|&nbsp;|<br\s*/?>)*</a>", re.IGNORECASE)
_HOST = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+")

# The HTML kept in imported answers; everything else is dropped (its text kept, scripts and styles removed).
SAFE_TAGS = {
    "p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "blockquote", "code", "pre", "h3", "h4", "h5", "a", "hr",
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
SAFE_ATTRIBUTES = {"a": {"href", "title"}}
_BLOCK_END = re.compile(r"</(p|pre|blockquote|li|h[1-6]|tr|table|ul|ol)>|<br\s*/?>|<hr\s*/?>", re.IGNORECASE)
_HEADING = re.compile(r"<(/?)h[12](\s[^>]*)?>", re.IGNORECASE)


class PostsFileError(Exception):
    """The file cannot be read as Posts.xml; the message says where."""


@dataclass
class Post:
    id: str
    title: str
    body: str  # HTML as in the dump
    tags: list = field(default_factory=list)
    created_at: dt.datetime | None = None
    owner_id: str = ""  # OwnerUserId: the author's id on the site, when the dump gives it
    owner_name: str = ""  # OwnerDisplayName: given instead for authors whose account is gone


@dataclass
class QuestionWithAnswer:
    question: Post
    answer: Post


@dataclass
class Scan:
    """What the first pass learnt (each question's chosen answer), and what the second counts as it goes."""

    chosen: dict  # question id → answer id
    questions: int = 0
    authors: set = field(default_factory=set)  # user ids of the chosen questions' and answers' authors
    unanswered: int = 0  # counted by questions_with_answers


def clean_html(body, *, original_url=None):
    """The dump's HTML with only safe tags and attributes left (h1/h2 become h3, the page has its own h1).

    Images are not imported: each becomes a visible note, "[image not imported: its alt text]", linked to
    ``original_url`` (the original post) when given; a link that held only an image becomes that note, so no empty
    link is left behind.
    """
    body = _HEADING.sub(r"<\1h3>", body or "")
    if "<img" in body.lower():
        body = _images_to_notes(body, original_url)
    cleaned = nh3.clean(
        body,
        tags=SAFE_TAGS,
        attributes=SAFE_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener",
    )
    return _EMPTY_LINK.sub("", cleaned).strip()


def image_note(alt):
    alt = " ".join((alt or "").split())
    return f"[image not imported: {alt}]" if alt.lower() not in _PLACEHOLDER_ALT else "[image not imported]"


def _images_to_notes(body, original_url):
    root = lxml.html.fragment_fromstring(body, create_parent="div")
    for image in list(root.iter("img")):
        note = image_note(image.get("alt") or image.get("title"))
        link = next(image.iterancestors("a"), None)
        holder = image
        if link is not None and not (link.text_content() or "").strip() and len(link.xpath(".//img")) == 1:
            holder = link  # a link around the image alone (to the full-size file): the note takes its place
        elif link is not None:
            _replace(image, text=note)  # a link with words of its own keeps them; the note joins them
            continue
        if original_url:
            replacement = lxml.html.Element("a", href=original_url)
            replacement.text = note
            _replace(holder, element=replacement)
        else:
            _replace(holder, text=note)
    return lxml.html.tostring(root, encoding="unicode")  # inside a <div>, which cleaning drops


def _replace(node, *, element=None, text=None):
    """Put ``element`` or ``text`` where ``node`` is, keeping the text that followed it."""
    parent, tail = node.getparent(), node.tail or ""
    if element is not None:
        element.tail = tail
        parent.replace(node, element)
        return
    previous = node.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + text + tail
    else:
        parent.text = (parent.text or "") + text + tail
    parent.remove(node)


def site_host(value):
    """The site's host name from ``coffee.stackexchange.com`` or ``https://coffee.stackexchange.com/``; ValueError
    when it is not one."""
    raw = (value or "").strip().lower()
    host = re.sub(r"^https?://", "", raw).split("/", 1)[0]
    if not _HOST.fullmatch(host):
        raise ValueError(f"“{value}” is not a site's address, like coffee.stackexchange.com.")
    return host


def question_url(host, question_id):
    return f"https://{host}/q/{question_id}"


def answer_url(host, answer_id):
    return f"https://{host}/a/{answer_id}"


def author(host, post, names, role):
    """The credit for ``post``'s author ({"name", "url", "role"}), or None when the dump says nothing of them.

    ``names`` maps user ids to display names (from Users.xml); without one, the post's own OwnerDisplayName, else
    "user<id>" as Stack Exchange names accounts it cannot show. The profile link needs only the id.
    """
    user_id = post.owner_id if post.owner_id.lstrip("-").isdigit() else ""
    name = names.get(user_id) or post.owner_name or (f"user{user_id}" if user_id else "")
    if not name:
        return None
    return {"name": name, "url": f"https://{host}/users/{user_id}" if user_id else "", "role": role}


def read_users(path, wanted):
    """{user id: display name} for the ids in ``wanted``, streamed from a dump's Users.xml."""
    names = {}
    for row in _rows(path):
        user_id = row.get("Id")
        if user_id in wanted and row.get("DisplayName"):
            names[user_id] = " ".join(row["DisplayName"].split())
    return names


def html_to_text(body):
    """The dump's HTML as plain text, one blank line between blocks (questions are shown as plain text)."""
    text = _BLOCK_END.sub(lambda m: m.group(0) + "\n\n", body or "")
    text = html.unescape(nh3.clean(text, tags=set()))
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def parse_tags(raw):
    return [tag for tag in re.split(r"[<>|]+", raw or "") if tag]


def parse_date(raw):
    """Dump dates are UTC without a zone, e.g. ``2019-07-19T19:12:12.510``; None when absent or unreadable."""
    try:
        return dt.datetime.fromisoformat(raw).replace(tzinfo=dt.UTC) if raw else None
    except ValueError:
        return None


def _rows(path):
    """Each ``row`` element's attributes, in file order; PostsFileError (with line and column) if malformed."""
    try:
        context = etree.iterparse(
            str(path), events=("end",), tag="row", resolve_entities=False, no_network=True, huge_tree=True
        )
        for _, element in context:
            yield element.attrib
            # Drop what has been read, so memory stays flat however large the file.
            element.clear()
            while element.getprevious() is not None:
                del element.getparent()[0]
    except etree.XMLSyntaxError as error:
        line, column = error.position
        raise PostsFileError(f"{path} is not well-formed XML (line {line}, column {column}): {error.msg}") from None
    except OSError as error:
        raise PostsFileError(f"Cannot read {path}: {error.strerror or error}") from None


def scan(path, *, progress=None):
    """First pass: the answer to import for each question (accepted, else best-scored, else earliest)."""
    accepted = {}  # question id → its AcceptedAnswerId
    accepted_found = {}  # question id → (accepted answer id, its author's id), once that answer has been seen
    best = {}  # question id → ((score, -answer id), answer id, its author's id)
    asked_by = {}  # question id → its author's id
    questions = 0
    for row in _rows(path):
        kind = row.get("PostTypeId")
        if kind == QUESTION:
            questions += 1
            if row.get("AcceptedAnswerId"):
                accepted[row["Id"]] = row["AcceptedAnswerId"]
            if row.get("OwnerUserId"):
                asked_by[row["Id"]] = row["OwnerUserId"]
        elif kind == ANSWER and row.get("ParentId"):
            answer_id, question_id, owner = row["Id"], row["ParentId"], row.get("OwnerUserId")
            # Answers follow their question in a dump, so its AcceptedAnswerId is known by now.
            if accepted.get(question_id) == answer_id:
                accepted_found[question_id] = (answer_id, owner)
            try:
                score = int(row.get("Score") or 0)
            except ValueError:
                score = 0
            key = (score, -int(answer_id) if answer_id.isdigit() else 0)
            current = best.get(question_id)
            if current is None or key > current[0]:
                best[question_id] = (key, answer_id, owner)
        if progress:
            progress(1)
    chosen = {question_id: (answer_id, owner) for question_id, (_, answer_id, owner) in best.items()}
    # The accepted answer wins when the dump holds it (dumps leave deleted answers out).
    chosen.update(accepted_found)
    authors = {owner for _, owner in chosen.values() if owner} | {asked_by[q] for q in chosen if q in asked_by}
    return Scan(
        chosen={question_id: answer_id for question_id, (answer_id, _) in chosen.items()},
        questions=questions,
        authors=authors,
    )


def questions_with_answers(path, found, *, skip=frozenset(), progress=None):
    """Second pass: each question with an answer chosen in ``found`` (and not in ``skip``) with that answer,
    as the later of the two arrives; questions without one are counted in ``found.unanswered``."""
    chosen = found.chosen
    wanted_answers = {answer_id: question_id for question_id, answer_id in chosen.items() if question_id not in skip}
    waiting_questions, waiting_answers = {}, {}
    for row in _rows(path):
        kind = row.get("PostTypeId")
        if kind == QUESTION and row.get("Id") not in chosen:
            found.unanswered += 1
        elif kind == QUESTION and row["Id"] not in skip:
            question = Post(
                id=row["Id"],
                title=row.get("Title", ""),
                body=row.get("Body", ""),
                tags=parse_tags(row.get("Tags")),
                created_at=parse_date(row.get("CreationDate")),
                owner_id=row.get("OwnerUserId", ""),
                owner_name=row.get("OwnerDisplayName", ""),
            )
            answer = waiting_answers.pop(chosen[question.id], None)
            if answer is None:
                waiting_questions[question.id] = question
            else:
                yield QuestionWithAnswer(question, answer)
        elif kind == ANSWER and row.get("Id") in wanted_answers:
            answer = Post(
                id=row["Id"],
                title="",
                body=row.get("Body", ""),
                created_at=parse_date(row.get("CreationDate")),
                owner_id=row.get("OwnerUserId", ""),
                owner_name=row.get("OwnerDisplayName", ""),
            )
            question = waiting_questions.pop(wanted_answers[answer.id], None)
            if question is None:
                waiting_answers[answer.id] = answer
            else:
                yield QuestionWithAnswer(question, answer)
        if progress:
            progress(1)
