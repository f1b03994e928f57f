"""The API's documents, as the OpenAPI description shows them."""

import datetime as dt
from typing import Literal

from ninja import Field, Schema


class FieldError(Schema):
    field: str
    detail: str


class ProblemOut(Schema):
    """RFC 9457 problem details (served as application/problem+json)."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = Field(None, description="For input that was not right: one per problem.")


class TopicRef(Schema):
    id: int
    title: str


class ExpertRef(Schema):
    id: int
    name: str


class TopicOut(Schema):
    id: int
    title: str
    slug: str
    description: str
    url: str
    answer_count: int = Field(description="Published answers on the topic that the token's person may see.")


class TopicList(Schema):
    items: list[TopicOut]
    next: str | None = None
    next_url: str | None = None


class ExpertOut(Schema):
    id: int = Field(description="The expert's id: filter answers with expert=<id>.")
    name: str
    slug: str
    headline: str
    organisation: str
    topic_ids: list[int]
    url: str


class ExpertList(Schema):
    items: list[ExpertOut]
    next: str | None = None
    next_url: str | None = None


class Highlight(Schema):
    title_html: str = Field(description="The title, HTML-escaped, with the words found in <mark>.")
    snippet_html: str = Field(description="An excerpt, HTML-escaped, with the words found in <mark>.")


class AnswerSummary(Schema):
    id: int
    title: str
    url: str
    topic: TopicRef
    expert: ExpertRef | None
    visibility: Literal["public", "network"]
    published_at: dt.datetime | None
    checked_on: dt.date
    teaser: str
    highlight: Highlight | None = Field(None, description="Only in search results (with q).")


class AnswerList(Schema):
    items: list[AnswerSummary]
    total: int | None = Field(None, description="Search results only: how many answers were found.")
    relaxed: bool = Field(False, description="Search only: few answers had every word, so these have some of them.")
    next: str | None = None
    next_url: str | None = None


class Source(Schema):
    name: str
    url: str
    licence: str
    licence_url: str
    authors: list


class AnswerOut(Schema):
    id: int
    title: str
    url: str
    topic: TopicRef
    expert: ExpertRef | None
    visibility: Literal["public", "network"]
    network: str | None = Field(description="For network-only answers: the network they are shared with.")
    asked_on: dt.date
    checked_on: dt.date
    published_at: dt.datetime | None
    full_access: bool = Field(description="Whether the question and answer below are in full (subscribers).")
    question: str
    answer_markdown: str | None = Field(description="The full answer (Markdown), with full access only.")
    answer_html: str | None = Field(description="The full answer as safe HTML, with full access only.")
    teaser: str
    source: Source | None = None


class ThreadMessage(Schema):
    kind: Literal["request", "reply"]
    text: str
    at: dt.datetime
    by: str | None


class QuestionOut(Schema):
    id: int
    title: str
    details: str
    status: str
    status_label: str
    topic: TopicRef
    visibility: Literal["public", "network", "private"]
    network: str
    submitted_at: dt.datetime
    due_at: dt.datetime | None
    needs_reply: bool = Field(description="The expert asked for more detail: reply with POST …/replies.")
    thread: list[ThreadMessage]
    answer_markdown: str | None = None
    answer_html: str | None = None
    published_answer_id: int | None = None
    url: str


class QuestionSummary(Schema):
    id: int
    title: str
    status: str
    status_label: str
    topic: TopicRef
    visibility: Literal["public", "network", "private"]
    submitted_at: dt.datetime
    due_at: dt.datetime | None
    needs_reply: bool
    url: str


class QuestionList(Schema):
    items: list[QuestionSummary]
    next: str | None = None
    next_url: str | None = None


class AskIn(Schema):
    title: str | None = Field(None, description="Your question in one line (15–200 characters).")
    details: str | None = Field(None, description="What has happened, what you have tried (30–10,000 characters).")
    topic: int | str | None = Field(None, description="A topic's id (GET /topics).")
    visibility: str | None = Field("public", description="public, network or private.")
    network: int | str | None = Field(None, description="The network's id; needed only if you ask through several.")


class ReplyIn(Schema):
    reply: str | None = Field(None, description="Your reply to the expert (2–10,000 characters).")


class ReportRow(Schema):
    month: str | None = Field(description="YYYY-MM; null in the total.")
    label: str
    asked: int
    answered: int
    met: int
    met_percent: float | None
    median_hours: float | None
    p90_hours: float | None
    answers_read: int
    deflections: int
    widget_views: int


class ReportOut(Schema):
    network: str
    network_name: str
    start: dt.date
    end: dt.date
    months: list[ReportRow]
    total: ReportRow
