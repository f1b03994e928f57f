"""The full-text index beside the search tables, in each database's own form.

- SQLite: an FTS5 table over ``qa_search_text`` (external content: the text is stored once), porter stemming
  over unicode61 with diacritics folded; ``tags`` holds the tokens searches filter by.
- PostgreSQL: a weighted ``tsvector`` on ``qa_search_entry`` (title A, question B, answer C; English) with
  a GIN index. ``toast_tuple_target = 128`` keeps the vectors out of line (in TOAST), so the table itself
  stays narrow (~450 bytes a row instead of ~2.6 kB): counting, windowing and facets visit only small
  rows, and a vector is read only for the rows being ranked.

Other databases get no full-text index (the engine supports these two).
"""

from django.db import migrations

SQLITE = [
    """
    CREATE VIRTUAL TABLE qa_search_fts USING fts5(
        title, question, answer, tags,
        content='qa_search_text', content_rowid='page_id',
        tokenize='porter unicode61 remove_diacritics 2'
    )
    """,
]
SQLITE_REVERSE = ["DROP TABLE IF EXISTS qa_search_fts"]

POSTGRES = [
    "ALTER TABLE qa_search_entry ADD COLUMN document tsvector",
    "ALTER TABLE qa_search_entry SET (toast_tuple_target = 128)",
    "CREATE INDEX qa_search_entry_document ON qa_search_entry USING gin (document)",
]
POSTGRES_REVERSE = [
    "DROP INDEX IF EXISTS qa_search_entry_document",
    "ALTER TABLE qa_search_entry RESET (toast_tuple_target)",
    "ALTER TABLE qa_search_entry DROP COLUMN IF EXISTS document",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("qa_search", "0001_index_and_query_log")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRES}),
            _run({"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE}),
        )
    ]
