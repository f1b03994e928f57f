"""Read answered questions from a CSV file (a spreadsheet saved as CSV, UTF-8).

Columns: ``id``, ``title``, ``question``, ``answer`` (Markdown), and optionally ``topic`` (a topic slug; the
command's topic when empty), ``published`` (a date or date and time, e.g. ``2024-03-01`` or
``2024-03-01 14:30``; now when empty) and, for answers taken from elsewhere, where they come from:
``source_site``, ``source_url``, ``source_author``, ``source_author_url``, ``source_licence``,
``source_licence_url``. Each row is checked on its own: a bad row is reported with its line number and the
good ones are imported.
"""

import csv
import datetime as dt
import sys
from dataclasses import dataclass

from django.utils import timezone

from qa_site.knowledge.attribution import web_url
from qa_site.knowledge.bulk import BulkQuestion

REQUIRED = ("id", "title", "question", "answer")
# Where answers taken from elsewhere come from, for the credit their licence may require (see docs/imports.md).
SOURCE_COLUMNS = (
    "source_site",
    "source_url",
    "source_author",
    "source_author_url",
    "source_licence",
    "source_licence_url",
)
OPTIONAL = ("topic", "published", *SOURCE_COLUMNS)
URL_COLUMNS = ("source_url", "source_author_url", "source_licence_url")
LIMITS = {"source_site": 200, "source_url": 500, "source_author": 200, "source_licence": 100, "source_licence_url": 300}


class SpreadsheetError(Exception):
    """The file as a whole cannot be read (missing, not UTF-8, wrong columns); the message says why."""


@dataclass
class Row:
    line: int
    external_id: str = ""
    item: BulkQuestion | None = None
    problem: str = ""


def parse_published(raw):
    """``2024-03-01``, ``2024-03-01 14:30`` or ISO 8601 with a zone; local time when none is given."""
    value = dt.datetime.fromisoformat(raw)  # a plain date is taken as midnight
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def read_rows(path, *, default_topic, topics, visibility, network):
    """Each data row of the CSV at ``path`` as a ``Row``: an item to import, or the problem with it.

    ``topics`` maps topic slugs to topic pages. Raises SpreadsheetError when the file cannot be read.
    """
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # long answers
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            columns = [c.strip().lower() for c in reader.fieldnames or []]
            missing = [c for c in REQUIRED if c not in columns]
            unknown = [c for c in columns if c not in REQUIRED + OPTIONAL]
            if missing or unknown:
                problems = []
                if missing:
                    problems.append(f"missing {', '.join(missing)}")
                if unknown:
                    problems.append(f"unknown {', '.join(unknown)}")
                raise SpreadsheetError(
                    f"{path}: wrong columns ({'; '.join(problems)}). The first line must name the columns "
                    f"{', '.join(REQUIRED)}, and optionally {', '.join(OPTIONAL)}."
                )
            reader.fieldnames = columns
            line = 1  # the header
            for record in reader:
                start, line = line + 1, reader.line_num
                yield _row(start, record, default_topic, topics, visibility, network)
    except FileNotFoundError:
        raise SpreadsheetError(f"No such file: {path}") from None
    except IsADirectoryError:
        raise SpreadsheetError(f"{path} is a directory, not a CSV file.") from None
    except UnicodeDecodeError as error:
        raise SpreadsheetError(f"{path} is not UTF-8 text (byte {error.start}); save it as CSV UTF-8.") from None
    except csv.Error as error:
        raise SpreadsheetError(f"{path}, line {reader.line_num}: {error}") from None


def _row(line, record, default_topic, topics, visibility, network):
    if None in record:
        return Row(line, problem="more values than columns")
    values = {key: (value or "").strip() for key, value in record.items()}
    external_id = values["id"]
    problems = [f"{column} is empty" for column in REQUIRED if not values[column]]
    if len(external_id) > 100:
        problems.append("id is longer than 100 characters")
    if len(values["title"]) > 255:
        problems.append("title is longer than 255 characters")
    topic = default_topic
    if values.get("topic"):
        topic = topics.get(values["topic"])
        if topic is None:
            problems.append(f"no topic “{values['topic']}”")
    published = None
    if values.get("published"):
        try:
            published = parse_published(values["published"])
        except ValueError:
            problems.append(f"published “{values['published']}” is not a date like 2024-03-01")
        else:
            if published > timezone.now():
                problems.append(f"published “{values['published']}” is in the future")
    for column in URL_COLUMNS:
        if values.get(column) and not web_url(values[column]):
            problems.append(f"{column} “{values[column][:100]}” is not an http or https address")
    for column, limit in LIMITS.items():
        if len(values.get(column, "")) > limit:
            problems.append(f"{column} is longer than {limit} characters")
    if values.get("source_author_url") and not values.get("source_author"):
        problems.append("source_author_url needs source_author")
    if problems:
        return Row(line, external_id, problem="; ".join(problems))
    author = values.get("source_author", "")
    source = {
        "source_name": values.get("source_site", ""),
        "source_url": values.get("source_url", ""),
        "source_authors": [{"name": author, "url": values.get("source_author_url", ""), "role": ""}] if author else [],
        "source_licence": values.get("source_licence", ""),
        "source_licence_url": values.get("source_licence_url", ""),
    }
    return Row(
        line,
        external_id,
        BulkQuestion(
            topic=topic,
            title=values["title"],
            question_text=values["question"],
            answer=values["answer"],
            visibility=visibility,
            network=network,
            published_at=published,
            **source,
        ),
    )
