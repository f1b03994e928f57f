"""The knowledge base (Wagtail pages) and the question lifecycle behind it.

A ``Question`` is the working record: who asked, who is answering, the SLA
dates and every transition in ``QuestionEvent``. When a coordinator publishes
an answer that may be shared, a ``QuestionPage`` is created under its topic:
the public, redacted copy that listings, search and feeds read.
"""

import calendar
import datetime as dt
from types import SimpleNamespace

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connection, models
from django.db.models import Avg, Count, Q
from django.http import Http404
from django.utils import timezone
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting
from wagtail.models import Page, PageManager
from wagtail.query import PageQuerySet
from wagtail.search import index

from subscriptions import access
from subscriptions.access import Visibility

from . import generation, pagecache
from .attribution import Attribution
from .clock import BusinessCalendar

LISTING_PAGE_SIZE = 20


# Callables rather than ``dt.time`` values: Django's system check warns about a fixed time default
# (fields.W161) whenever the checks happen to run within ten seconds of that time of day.
def default_office_opens():
    return dt.time(9, 0)


def default_office_closes():
    return dt.time(17, 0)


@register_setting(icon="time")
class SLASettings(BaseGenericSetting):
    """How the SLA clock counts, set by coordinators in the admin (Settings → SLA settings)."""

    class Region(models.TextChoices):
        ENGLAND_AND_WALES = "ENG", "England and Wales"
        SCOTLAND = "SCT", "Scotland"
        NORTHERN_IRELAND = "NIR", "Northern Ireland"

    opens = models.TimeField("office hours start", default=default_office_opens)
    closes = models.TimeField("office hours end", default=default_office_closes)
    bank_holidays = models.CharField(
        "bank holidays of", max_length=3, choices=Region.choices, default=Region.ENGLAND_AND_WALES
    )
    warning_percent = models.PositiveSmallIntegerField(
        "remind the expert at (% of the time used)",
        default=75,
        validators=[MinValueValidator(10), MaxValueValidator(95)],
    )
    reroute_on_breach = models.BooleanField(
        "re-route breached questions",
        default=False,
        help_text="When a question passes its due time, take it from its expert and route it to another.",
    )

    panels = [
        FieldRowPanel([FieldPanel("opens"), FieldPanel("closes")], heading="Office hours (Monday to Friday)"),
        FieldPanel("bank_holidays"),
        FieldPanel("warning_percent"),
        FieldPanel("reroute_on_breach"),
    ]

    class Meta:
        verbose_name = "SLA settings"

    def clean(self):
        if self.opens and self.closes and self.closes <= self.opens:
            raise ValidationError({"closes": "Office hours must end after they start."})

    @property
    def warning_fraction(self):
        return self.warning_percent / 100

    def calendar(self):
        return BusinessCalendar(opens=self.opens, closes=self.closes, holiday_subdivision=self.bank_holidays)


def add_months(day, months):
    """``day`` plus whole months, on the same day of the month or the month's last day (31 Jan + 1 → 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


@register_setting(icon="date")
class KnowledgeSettings(BaseGenericSetting):
    """How long a published answer stands before its expert checks it again (Settings → Knowledge base)."""

    review_months = models.PositiveSmallIntegerField(
        "review answers after (months)",
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text="A published answer is due for review this many months after it was published or last checked. "
        "Changing it applies to answers published or checked from now on.",
    )

    panels = [FieldPanel("review_months")]

    class Meta:
        verbose_name = "knowledge base settings"

    def review_by_for(self, checked_on):
        return add_months(checked_on, self.review_months)


class ReaderPage:
    """A page readers see, served from the page cache per publication and audience (``pagecache``)."""

    page_cache_params = ()  # the query parameters the page reads (others are rendered afresh each time)

    def serve(self, request, *args, **kwargs):
        pagecache.cacheable(request, params=self.page_cache_params)
        return super().serve(request, *args, **kwargs)


class HomePage(ReaderPage, Page):
    intro = models.TextField(blank=True)

    max_count = 1
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["knowledge.TopicIndexPage"]
    content_panels = Page.content_panels + [FieldPanel("intro")]

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["topics"] = topics_with_answer_counts(request.user)
        context["latest"] = QuestionPage.objects.listed_for(request.user)[:8]
        return context


class TopicIndexPage(ReaderPage, Page):
    intro = models.TextField(blank=True)

    max_count = 1
    parent_page_types = ["knowledge.HomePage"]
    subpage_types = ["knowledge.TopicPage"]
    content_panels = Page.content_panels + [FieldPanel("intro")]

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["topics"] = topics_with_answer_counts(request.user)
        return context


def answer_counts(user, *, by="topic_id"):
    """{topic id (or expert id, ``by="expert_id"``): number of listed answers ``user`` may see}.

    Counted once per publication generation for everyone, grouped by topic, visibility, network and expert (a few
    hundred groups, read from one index), and summed here with the access policy's own test for each group.
    """
    key = f"answer-counts:{generation.current()}"
    groups = generation.get(key)
    if groups is None:
        groups = list(
            QuestionPage.objects.filter(listed=True)
            .order_by()
            .values_list("topic_id", "visibility", "network_id", "expert_id")
            .annotate(n=Count("*"))  # nothing but the index's columns: PostgreSQL can read the index alone
        )
        generation.put(key, groups, pagecache.PAGE_SECONDS)
    counts = {}
    for topic_id, visibility, network_id, expert_id, n in groups:
        group = SimpleNamespace(visibility=visibility, network_id=network_id, expert_id=expert_id)
        if access.can_see_published(user, group):
            value = topic_id if by == "topic_id" else expert_id
            counts[value] = counts.get(value, 0) + n
    return counts


def counted_paginator(queryset, count, number):
    """The page ``number`` of ``queryset``, whose length is known (``answer_counts``) rather than counted."""
    paginator = Paginator(queryset, LISTING_PAGE_SIZE)
    paginator.count = count  # a cached property: set, it is never counted
    return paginator.get_page(number)


def topics_with_answer_counts(user):
    """Live topics in title order, each with ``answer_count``: the answers ``user`` may see."""
    counts = answer_counts(user)
    topics = list(TopicPage.objects.live().order_by("title"))
    for topic in topics:
        topic.answer_count = counts.get(topic.pk, 0)
    return topics


class TopicPage(ReaderPage, Page):
    """A subject experts answer on, e.g. "Charity law and governance"."""

    description = models.TextField(blank=True)
    page_cache_params = ("page",)

    parent_page_types = ["knowledge.TopicIndexPage"]
    subpage_types = ["knowledge.QuestionPage"]
    content_panels = Page.content_panels + [FieldPanel("description")]
    search_fields = Page.search_fields + [index.SearchField("description")]

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        answers = QuestionPage.objects.listed_for(request.user).filter(topic=self)
        count = answer_counts(request.user).get(self.pk, 0)
        context["answers"] = counted_paginator(answers, count, request.GET.get("page"))
        return context


class QuestionPageQuerySet(PageQuerySet):
    def listed_for(self, user):
        """Live answers ``user`` may see listed, newest first, ready for a listing."""
        return (
            self.filter(listed=True)
            .filter(access.published_filter(user))
            # expert__expert_profile: the relation the experts app adds to the user, for the link to the profile.
            .select_related("topic", "expert", "expert__expert_profile")
            .order_by("-published_at", "-pk")
        )


class QuestionPage(ReaderPage, Page):
    """A published question and its answer, as the knowledge base shows it."""

    question = models.OneToOneField(
        "knowledge.Question", null=True, blank=True, on_delete=models.SET_NULL, related_name="page"
    )
    topic = models.ForeignKey(
        TopicPage,
        on_delete=models.PROTECT,
        related_name="answer_pages",
        editable=False,
        help_text="Mirrors the parent topic page, for fast listings.",
    )
    question_text = models.TextField("question", help_text="The question as published, free of personal data.")
    answer = models.TextField(help_text="The expert's answer as published (Markdown).")
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    visibility = models.CharField(
        max_length=20,
        choices=[(Visibility.PUBLIC, "Public"), (Visibility.NETWORK, "Network only")],
        default=Visibility.PUBLIC,
    )
    network = models.ForeignKey(
        "subscriptions.Network",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="For network-only answers: the network whose members may read it.",
    )
    asked_on = models.DateField(default=timezone.localdate)
    checked_on = models.DateField("checked on", default=timezone.localdate)
    review_by = models.DateField(
        "review by",
        null=True,
        blank=True,
        help_text="When the answer comes back to its expert to check. Leave empty for the checked date plus the "
        "period in Settings → Knowledge base settings.",
    )
    # Not content: set when the daily sweep puts the answer in the review queue, cleared when it is confirmed or
    # updated. Kept out of revisions (see with_content_json), so publishing an older draft cannot reset it.
    review_queued_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Copies of Page.live and Page.first_published_at, kept by save() (and by bulk creation), so that listings read
    # one table through an index, newest first, and stop after a page of rows: Wagtail's page table cannot be
    # indexed by topic and date together, and sorting every live answer costs more the more there are.
    listed = models.BooleanField(default=False, editable=False)
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Where an imported answer comes from, for the attribution its licence requires (Stack Exchange content is
    # CC BY-SA: the site, a link to the original, the authors and the licence). Empty for answers written here.
    source_name = models.CharField(
        "source", max_length=200, blank=True, help_text="The site an imported answer comes from."
    )
    source_url = models.URLField("original", max_length=500, blank=True, help_text="The original question.")
    source_authors = models.JSONField(
        "original authors",
        default=list,
        blank=True,
        help_text='Who wrote the original: a list of {"name": …, "url": … (their profile), "role": "question" or '
        '"answer"}.',
    )
    source_licence = models.CharField("licence", max_length=100, blank=True, help_text="e.g. CC BY-SA 4.0")
    source_licence_url = models.URLField("licence address", max_length=300, blank=True)

    parent_page_types = ["knowledge.TopicPage"]
    subpage_types = []
    content_panels = Page.content_panels + [
        FieldPanel("question_text"),
        FieldPanel("answer"),
        MultiFieldPanel(
            [
                FieldPanel("expert"),
                FieldPanel("visibility"),
                FieldPanel("network"),
                FieldPanel("asked_on"),
                FieldPanel("checked_on"),
                FieldPanel("review_by"),
            ],
            heading="About this answer",
        ),
        MultiFieldPanel(
            [
                FieldPanel("source_name"),
                FieldPanel("source_url"),
                FieldPanel("source_authors"),
                FieldPanel("source_licence"),
                FieldPanel("source_licence_url"),
            ],
            heading="Source (imported answers)",
            classname="collapsed",
        ),
    ]
    # Answers are searched with the product's own engine (search/), which publishing updates after commit.
    # Wagtail's stock database backend would also re-index every save of an answer page, and each time it
    # recomputes a title norm over its whole index table (an AVG and an UPDATE of every row): at 100,000
    # answers that made one publish cost ~1.9 s instead of ~0.15 s. So its index does not follow answers:
    # the admin's page search finds them by title after `manage.py update_index`.
    search_auto_update = False
    search_fields = Page.search_fields

    objects = PageManager.from_queryset(QuestionPageQuerySet)()

    class Meta:
        indexes = [
            models.Index(fields=["topic", "visibility"]),
            # The daily review sweep reads only answers not yet queued whose review date has come (or, for pages
            # created in bulk, has not been set).
            models.Index(fields=["review_by"], name="questionpage_review_due", condition=Q(review_queued_at=None)),
            # Listings, newest first: the home and the feeds; one topic; one expert's answers.
            models.Index(fields=["-published_at", "-page_ptr"], name="questionpage_listing"),
            models.Index(fields=["topic", "-published_at", "-page_ptr"], name="questionpage_topic_listing"),
            models.Index(fields=["expert", "-published_at", "-page_ptr"], name="questionpage_expert_listing"),
            # Answers per topic for each audience (answer_counts), read from the index alone: only listed answers
            # are in it (with ``listed`` as its first column instead, SQLite's planner preferred the topic index and
            # read every row: 0.3 s at 100,000 answers, now 0.03).
            models.Index(
                fields=["topic", "visibility", "network", "expert"],
                condition=Q(listed=True),
                name="questionpage_listed_counts",
            ),
        ]

    def clean(self):
        super().clean()
        if self.review_by is None and self.checked_on:
            self.review_by = KnowledgeSettings.load().review_by_for(self.checked_on)

    def with_content_json(self, content):
        """A revision's copy of the page, keeping the review-queue state of the live page (it is not content)."""
        obj = super().with_content_json(content)
        obj.review_queued_at = self.review_queued_at
        if obj.review_by is None:  # revisions saved before review dates existed
            obj.review_by = self.review_by
        return obj

    def save(self, *args, **kwargs):
        # Keep the denormalised topic in step with the page tree (new pages and edits;
        # moves are handled by the page_moved receiver in signal_handlers.py).
        if self.path and self.depth and self.depth > 1:
            self.topic_id = self.get_parent().pk
        self.listed, self.published_at = self.live, self.first_published_at
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "listed", "published_at"}
        super().save(*args, **kwargs)

    def serve(self, request, *args, **kwargs):
        if not access.can_see_published(request.user, self):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if self.visibility == Visibility.NETWORK:
                raise PermissionDenied("This answer is shared only with the members of one network.")
            raise Http404
        return super().serve(request, *args, **kwargs)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["full_access"] = access.can_read_published_in_full(request.user, self)
        if context["full_access"]:
            pagecache.effect(request, "answer_read", answer_id=self.pk)
        return context

    @property
    def attribution(self):
        """Where this imported answer comes from (see ``attribution.py``), or None for answers written here."""
        return Attribution.of(self)

    def helpful_for(self, user, *, full_access):
        return helpful_summary(page_id=self.pk, expert_id=self.expert_id, user=user, full_access=full_access)


def helpful_summary(*, page_id, expert_id, user, full_access):
    """ "Was this helpful?" for this reader: may they vote, their vote, and the counts if they may see them.

    Counts are for coordinators and the answer's expert. A query for the counts (however many votes) and one for the
    reader's own vote, each only for those who see it.
    """
    may_vote = bool(full_access and user.is_authenticated and user.pk != expert_id)
    sees_counts = access.is_coordinator(user) or (user.is_authenticated and user.pk == expert_id)
    if not (may_vote or sees_counts):
        return {"may_vote": False, "sees_counts": False, "mine": None}
    summary = {"may_vote": may_vote, "sees_counts": sees_counts, "mine": None}
    if sees_counts:
        counts = dict(HelpfulVote.objects.filter(page_id=page_id).values_list("helpful").annotate(n=Count("pk")))
        summary.update(yes=counts.get(True, 0), no=counts.get(False, 0))
    if may_vote:  # on every view of a cached answer page: one row by its unique key, without the ORM's overhead
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT helpful FROM {HelpfulVote._meta.db_table} WHERE page_id = %s AND user_id = %s",
                [page_id, user.pk],
            )
            row = cursor.fetchone()
        summary["mine"] = bool(row[0]) if row else None
    return summary


class QuestionQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=Question.OPEN_STATUSES)

    def in_triage(self):
        return self.filter(status=Question.Status.SUBMITTED, needs_triage=True)

    def awaiting_review(self):
        return self.filter(status=Question.Status.ANSWERED)

    def assigned_to(self, user):
        return self.filter(assignee=user)


class Question(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Submitted"
        ASSIGNED = "assigned", "With an expert"
        AWAITING_CLARIFICATION = "awaiting_clarification", "Waiting for the adviser"
        ANSWERED = "answered", "Answered, in review"
        PUBLISHED = "published", "Answered"
        DECLINED = "declined", "Declined, being re-routed"
        WITHDRAWN = "withdrawn", "Withdrawn"
        CLOSED_AS_DUPLICATE = "closed_as_duplicate", "Closed as a duplicate"
        REJECTED = "rejected", "Rejected"

    OPEN_STATUSES = (Status.SUBMITTED, Status.ASSIGNED, Status.AWAITING_CLARIFICATION, Status.DECLINED)
    WITH_EXPERT_STATUSES = (Status.ASSIGNED, Status.AWAITING_CLARIFICATION)

    title = models.CharField(max_length=200)
    details = models.TextField()
    topic = models.ForeignKey(TopicPage, on_delete=models.PROTECT, related_name="questions")
    asker = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="questions_asked"
    )
    network = models.ForeignKey("subscriptions.Network", on_delete=models.PROTECT, related_name="questions")
    visibility = models.CharField(max_length=20, choices=Visibility.choices, default=Visibility.PUBLIC)
    status = models.CharField(max_length=30, choices=Status.choices, default=Status.SUBMITTED)
    needs_triage = models.BooleanField(default=False, help_text="No eligible expert: a coordinator must assign it.")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_questions"
    )
    sla_hours = models.PositiveIntegerField(help_text="Working hours promised by the network's plan when asked.")
    submitted_at = models.DateTimeField(default=timezone.now)
    assigned_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    duplicate_of = models.ForeignKey(
        QuestionPage,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="duplicates",
        help_text="The published answer this question was closed as a duplicate of.",
    )
    accepted_at = models.DateTimeField(null=True, blank=True, help_text="When the expert accepted it.")
    # --- The SLA clock (see clock.py). It runs while the question waits on an expert or on routing, and
    # stops while it waits on the adviser or on review. The sweep reads only running questions whose
    # warning or due moment has come, through the two partial indexes below.
    sla_running = models.BooleanField(default=True)
    warn_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_seconds = models.PositiveIntegerField(default=0, help_text="Working time the clock has been stopped.")
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    breach_alerted_at = models.DateTimeField(null=True, blank=True)
    sla_met = models.BooleanField(null=True, blank=True)
    working_hours_to_answer = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = QuestionQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "due_at"]),
            models.Index(fields=["assignee", "status"]),
            models.Index(fields=["asker", "submitted_at"]),
            models.Index(fields=["answered_at"]),
            models.Index(
                fields=["warn_at"],
                name="question_reminder_due",
                condition=Q(sla_running=True, reminder_sent_at__isnull=True),
            ),
            models.Index(
                fields=["due_at"],
                name="question_breach_due",
                condition=Q(sla_running=True, breach_alerted_at__isnull=True),
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def is_open(self):
        return self.status in self.OPEN_STATUSES

    @property
    def visibility_label(self):
        return access.VISIBILITY_SHORT_LABELS.get(self.visibility, self.visibility)

    @property
    def is_overdue(self):
        return self.is_open and self.due_at is not None and self.due_at < timezone.now()

    def publishable_copy(self):
        """{field: text} the coordinator reviews before publishing (see ``Answer.publishable_copy``)."""
        return self.answer.publishable_copy()


class Answer(models.Model):
    """The expert's answer: a draft until submitted, then reviewed by a coordinator."""

    question = models.OneToOneField(Question, on_delete=models.CASCADE, related_name="answer")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField(help_text="Markdown.")
    submitted_at = models.DateTimeField(null=True, blank=True)
    review_comment = models.TextField(blank=True, help_text="The coordinator's comment when returned.")
    # The publishable copy: what the page will say, as the coordinator edits it (personal data taken out).
    # Set from the question and the answer when the answer is submitted; flags (PersonalDataFlag) point into it.
    publish_title = models.CharField(max_length=200, blank=True)
    publish_question_text = models.TextField(blank=True)
    publish_answer_text = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Answer to {self.question}"

    def publishable_copy(self):
        """{field: text} of the copy the coordinator reviews (the originals until it is first set)."""
        return {
            "title": self.publish_title or self.question.title,
            "question_text": self.publish_question_text or self.question.details,
            "answer_text": self.publish_answer_text or self.body,
        }


class QuestionEvent(models.Model):
    """One line of a question's audit trail: who did what, when and why."""

    class Action(models.TextChoices):
        SUBMITTED = "submitted", "Asked"
        ASSIGNED = "assigned", "Assigned to an expert"
        ACCEPTED = "accepted", "Accepted by the expert"
        REASSIGNED = "reassigned", "Reassigned to another expert"
        TRIAGED = "triaged", "Sent to the triage queue"
        CLARIFICATION_REQUESTED = "clarification_requested", "Expert asked for more detail"
        CLARIFIED = "clarified", "Adviser replied"
        DECLINED = "declined", "Declined by the expert"
        ANSWERED = "answered", "Answer submitted"
        RETURNED = "returned", "Answer returned to the expert"
        PUBLISHED = "published", "Answer published"
        WITHDRAWN = "withdrawn", "Withdrawn by the adviser"
        REJECTED = "rejected", "Rejected"
        CLOSED_AS_DUPLICATE = "closed_as_duplicate", "Closed as a duplicate"
        REMINDED = "reminded", "Expert reminded: time running short"
        BREACHED = "breached", "Due time passed: coordinators alerted"
        RELEASED = "released", "Taken from the expert after the due time"
        PII_FLAGGED = "pii_flagged", "Possible personal data found"
        PII_CLEARED = "pii_cleared", "Flag cleared: not personal data"
        PII_REMOVED = "pii_removed", "Flag cleared: edited out"
        PII_REDACTED = "pii_redacted", "Flag cleared: redacted"
        REVIEW_DUE = "review_due", "Published answer due for review"
        REVIEW_CONFIRMED = "review_confirmed", "Expert confirmed the answer is still correct"
        UPDATE_SUBMITTED = "update_submitted", "Updated answer submitted"
        UPDATE_RETURNED = "update_returned", "Updated answer returned to the expert"
        UPDATE_PUBLISHED = "update_published", "Updated answer published"

    # Events about a published answer's review (and its flags) name the review; the question too, when the page
    # has one (pages imported in bulk have none).
    question = models.ForeignKey(Question, null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    review = models.ForeignKey(
        "knowledge.AnswerReview", null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The expert this event concerns (assigned, declined, released…).",
    )
    action = models.CharField(max_length=30, choices=Action.choices)
    from_status = models.CharField(max_length=30, blank=True)
    to_status = models.CharField(max_length=30, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.get_action_display()} — {self.question or self.review}"


class AnswerRating(models.Model):
    """A reader's rating of a published answer: it feeds the expert's scorecard.

    A reader who deletes their account leaves their rating behind without their name (``user`` becomes null),
    so an expert's scorecard does not change. The one-rating-per-reader constraint still holds for every
    reader with an account: databases treat nulls as distinct in a unique constraint.
    """

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="ratings")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="answer_ratings"
    )
    stars = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["question", "user"], name="one_rating_per_reader"),
            models.CheckConstraint(condition=Q(stars__gte=1, stars__lte=5), name="rating_stars_1_to_5"),
        ]

    def __str__(self):
        return f"{self.stars}★ for {self.question}"


def rating_summary(question_ids):
    """{question id: (average stars, number of ratings)} for the given questions, in one query."""
    rows = (
        AnswerRating.objects.filter(question_id__in=question_ids)
        .values("question_id")
        .annotate(average=Avg("stars"), count=Count("pk"))
        .order_by()
    )
    return {row["question_id"]: (row["average"], row["count"]) for row in rows}


class AnswerReviewQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=AnswerReview.OPEN_STATUSES)

    def for_expert(self, user, topic_ids):
        """Reviews waiting for ``user``: given to them, or to anyone on one of their topics (``topic_ids``)."""
        return self.filter(status=AnswerReview.Status.DUE).filter(
            Q(expert=user) | Q(expert__isnull=True, page__topic_id__in=topic_ids)
        )


class AnswerReview(models.Model):
    """A published answer come back to be checked: its expert (or, if they have left, anyone on its topic) confirms
    it is still correct or writes an update, which a coordinator reviews and publishes like any answer."""

    class Status(models.TextChoices):
        DUE = "due", "Waiting for the expert"
        SUBMITTED = "submitted", "Update waiting for review"
        CONFIRMED = "confirmed", "Confirmed still correct"
        UPDATED = "updated", "Updated answer published"

    OPEN_STATUSES = (Status.DUE, Status.SUBMITTED)

    page = models.ForeignKey(QuestionPage, on_delete=models.CASCADE, related_name="reviews")
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="answer_reviews",
        help_text="Empty: any expert on the answer's topic may take it.",
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DUE)
    due_on = models.DateField(help_text="The review-by date that brought it back.")
    opened_at = models.DateTimeField(default=timezone.now)
    notified_at = models.DateTimeField(null=True, blank=True, help_text="When the expert(s) were e-mailed.")
    # The update and its publishable copy (the coordinator edits these before publishing).
    title = models.CharField(max_length=200, blank=True)
    question_text = models.TextField(blank=True)
    answer_text = models.TextField(blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    review_comment = models.TextField(blank=True, help_text="The coordinator's comment when returned.")
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = AnswerReviewQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["page"], condition=Q(status__in=["due", "submitted"]), name="one_open_review_per_page"
            ),
        ]
        indexes = [models.Index(fields=["status", "expert"])]

    def __str__(self):
        return f"Review of {self.page.title}"

    @property
    def is_open(self):
        return self.status in self.OPEN_STATUSES

    def publishable_copy(self):
        return {"title": self.title, "question_text": self.question_text, "answer_text": self.answer_text}


class PersonalDataFlag(models.Model):
    """Something in an answer's publishable copy that looks like personal data (see ``pii.py``).

    It belongs to a new answer (``question``) or to an updated one (``review``). Publishing is refused until each
    is cleared: marked not personal data by a coordinator, redacted (its text replaced with a placeholder such as
    "[phone number]"), or edited out of the copy (found gone on a re-scan).
    """

    class Kind(models.TextChoices):
        EMAIL = "email", "E-mail address"
        PHONE = "phone", "Phone number"
        POSTCODE = "postcode", "Postcode"
        NI_NUMBER = "ni_number", "National Insurance number"

    class Field(models.TextChoices):
        TITLE = "title", "title"
        QUESTION = "question_text", "question"
        ANSWER = "answer_text", "answer"

    class Resolution(models.TextChoices):
        NOT_PERSONAL = "not_personal", "Not personal data"
        REMOVED = "removed", "Edited out"
        REDACTED = "redacted", "Redacted"

    question = models.ForeignKey(
        Question, null=True, blank=True, on_delete=models.CASCADE, related_name="personal_data_flags"
    )
    review = models.ForeignKey(
        AnswerReview, null=True, blank=True, on_delete=models.CASCADE, related_name="personal_data_flags"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    field = models.CharField(max_length=20, choices=Field.choices)
    text = models.CharField("matched text", max_length=200)
    start = models.PositiveIntegerField(help_text="Where the match starts in the field's text (characters).")
    created_at = models.DateTimeField(default=timezone.now)
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cleared_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(max_length=20, choices=Resolution.choices, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(question__isnull=False, review__isnull=True)
                | Q(question__isnull=True, review__isnull=False),
                name="flag_belongs_to_an_answer_or_an_update",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} “{self.text}” in the {self.get_field_display()}"

    @property
    def is_cleared(self):
        return self.cleared_at is not None


class HelpfulVote(models.Model):
    """A reader's "Was this helpful?" yes or no on a published answer: one per reader, changeable.

    A reader who deletes their account leaves their vote behind without their name, as with ratings.
    """

    page = models.ForeignKey(QuestionPage, on_delete=models.CASCADE, related_name="helpful_votes")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="helpful_votes"
    )
    helpful = models.BooleanField()
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["page", "user"], name="one_helpful_vote_per_reader")]

    def __str__(self):
        return f"{'Helpful' if self.helpful else 'Not helpful'}: {self.page.title}"


class PublicationGeneration(models.Model):
    """The one row holding the publication generation's token (see ``generation.py``)."""

    token = models.CharField(max_length=12)
    changed_at = models.DateTimeField()

    class Meta:
        verbose_name = "publication generation"

    def __str__(self):
        return f"{self.token} (since {self.changed_at:%Y-%m-%d %H:%M:%S})"
