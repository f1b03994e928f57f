"""How many indexed answers have each word, for choosing the distinctive words of a text ("more like this").

- SQLite: ``qa_search_vocab``, FTS5's own view of its index (one row per stem with its document count).
- PostgreSQL: ``qa_search_term`` (``IndexTerm``), counted here from the vectors already indexed and kept in step by
  ``search/backends/database.py``.
"""

from django.db import migrations, models


def create_counts(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute("CREATE VIRTUAL TABLE qa_search_vocab USING fts5vocab(qa_search_fts, 'row')")
    elif vendor == "postgresql":
        schema_editor.execute(
            "INSERT INTO qa_search_term (term, docs) "
            "SELECT u.lexeme, COUNT(*) FROM qa_search_entry e, unnest(e.document) u "
            "WHERE e.document IS NOT NULL GROUP BY u.lexeme"
        )


def drop_counts(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TABLE IF EXISTS qa_search_vocab")


class Migration(migrations.Migration):
    dependencies = [
        ("qa_search", "0004_facet_groups"),
    ]

    operations = [
        migrations.CreateModel(
            name="IndexTerm",
            fields=[
                ("term", models.TextField(primary_key=True, serialize=False)),
                ("docs", models.IntegerField(default=0)),
            ],
            options={
                "db_table": "qa_search_term",
            },
        ),
        migrations.RunPython(create_counts, drop_counts),
    ]
