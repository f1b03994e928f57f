"""The database search engine's own tables, and the log of what people search for.

The index is two tables keyed by the question page's id, kept apart so that ranking and access filtering
read only narrow rows:

- ``IndexEntry``: everything a result is filtered, faceted and shown by (visibility, network, topic,
  expert, year, date, URL, labels) — never a join to Wagtail's page tables. On PostgreSQL it also holds
  the weighted ``tsvector`` (``document``, title > question > answer) behind a GIN index.
- ``IndexText``: the searchable text (plain). On SQLite an FTS5 table (``qa_search_fts``) indexes it as
  external content, with a column of filter tokens (``tags``); on PostgreSQL it is read only to highlight
  the rows on show.

``IndexTerm`` counts the answers that have each word (Porter stems on SQLite, lexemes on PostgreSQL), for choosing
the distinctive words of a text (``search/more_like_this.py``).

On SQLite, ``IndexFacet`` and ``FacetGroup`` number each answer's (topic, expert, year), so that facets over many
matches are counted from two integers per match.

The vendor-specific parts (the FTS5 table, the ``tsvector`` column and its index) are created by
``migrations/0002_full_text.py``; ``search/backends/database.py`` keeps them in step.
"""

from django.db import models


class IndexEntry(models.Model):
    page_id = models.IntegerField(primary_key=True)  # Wagtail's page ids; SQLite: the rowid itself
    visibility = models.CharField(max_length=10)
    network_id = models.BigIntegerField(null=True)
    topic_id = models.BigIntegerField(null=True)
    expert_id = models.BigIntegerField(null=True)
    year = models.PositiveSmallIntegerField()
    published_at = models.DateTimeField()
    topic_title = models.CharField(max_length=255, blank=True)
    expert_name = models.CharField(max_length=255, blank=True)
    url_path = models.CharField(max_length=1000)

    class Meta:
        db_table = "qa_search_entry"

    def __str__(self):
        return f"Search entry for page {self.page_id}"


class IndexText(models.Model):
    page_id = models.IntegerField(primary_key=True)  # Wagtail's page ids; SQLite: the rowid itself
    title = models.TextField()
    question = models.TextField()
    answer = models.TextField()
    tags = models.TextField(blank=True, help_text="SQLite: the tokens FTS5 filters by (see backends/database.py).")

    class Meta:
        db_table = "qa_search_text"

    def __str__(self):
        return self.title


class SearchQueryLog(models.Model):
    """One row per distinct (normalised) query: how often it was searched, when last, and what it found.

    Written with one UPSERT per search; the coordinators' gap report lists the queries that found nothing.
    """

    query = models.CharField(max_length=200, unique=True)
    count = models.PositiveIntegerField(default=0)
    last_searched_at = models.DateTimeField()
    last_hits = models.PositiveIntegerField(default=0, help_text="How many answers the last search found.")
    zero_results = models.BooleanField(default=False, help_text="The last search found nothing.")

    class Meta:
        db_table = "qa_search_query_log"
        indexes = [models.Index(fields=["zero_results", "-count"], name="qa_search_log_gaps")]

    def __str__(self):
        return self.query


class FacetGroup(models.Model):
    """SQLite: each (topic, expert, year) that some indexed answer has, numbered (0 for none). With ``IndexFacet``,
    counting the facets of a hundred thousand matches reads two small integers per match by rowid."""

    topic_id = models.BigIntegerField(default=0)
    expert_id = models.BigIntegerField(default=0)
    year = models.PositiveSmallIntegerField()

    class Meta:
        db_table = "qa_search_facet_group"
        constraints = [models.UniqueConstraint(fields=["topic_id", "expert_id", "year"], name="one_facet_group")]

    def __str__(self):
        return f"topic {self.topic_id}, expert {self.expert_id}, {self.year}"


class IndexFacet(models.Model):
    """SQLite: the facet group of each indexed answer, in a table of two integers keyed by the rowid."""

    page_id = models.IntegerField(primary_key=True)  # SQLite: the rowid itself
    group_id = models.BigIntegerField()

    class Meta:
        db_table = "qa_search_facet"
        indexes = [models.Index(fields=["group_id", "page_id"], name="qa_search_facet_group_page")]

    def __str__(self):
        return f"Facets of page {self.page_id}"


class FacetCount(models.Model):
    """SQLite: how many indexed answers each facet group has, per visibility and network (0: none), kept in step as
    answers are indexed and removed. A common word's facets are counted from the answers that do *not* have it
    (``_SQLite.facet_groups``): these counts less theirs."""

    group_id = models.BigIntegerField()
    visibility = models.CharField(max_length=10)
    network_id = models.BigIntegerField(default=0)
    docs = models.IntegerField(default=0)

    class Meta:
        db_table = "qa_search_facet_count"
        constraints = [
            models.UniqueConstraint(fields=["group_id", "visibility", "network_id"], name="one_facet_count"),
        ]

    def __str__(self):
        return f"{self.docs} answers in facet group {self.group_id}"


class IndexTerm(models.Model):
    """How many indexed answers have each word, kept in step as answers are indexed and removed: on SQLite the Porter
    stem of each word (as FTS5 indexes it), on PostgreSQL each lexeme of the English ``tsvector``. The empty word
    (``more_like_this.TOTAL``) counts the answers."""

    term = models.TextField(primary_key=True)
    docs = models.IntegerField(default=0)

    class Meta:
        db_table = "qa_search_term"

    def __str__(self):
        return f"{self.term}: {self.docs}"
