"""How many indexed answers have each word (and, under the empty word, how many answers there are), for choosing
the distinctive words of a text ("more like this"): Porter stems of the words on SQLite, the English ``tsvector``'s
lexemes on PostgreSQL. Counted here for the answers already indexed; ``search/backends/database.py`` keeps it in step.
"""

from collections import Counter

from django.db import migrations, models

from search import more_like_this


def count_words(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(
            "INSERT INTO qa_search_term (term, docs) "
            "SELECT u.lexeme, COUNT(*) FROM qa_search_entry e, unnest(e.document) u "
            "WHERE e.document IS NOT NULL GROUP BY u.lexeme "
            "UNION ALL SELECT '', COUNT(*) FROM qa_search_entry"
        )
    elif vendor == "sqlite":
        counts = Counter()
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("SELECT title, question, answer FROM qa_search_text")
            for title, question, answer in cursor.fetchall():
                counts.update(more_like_this.keys(title, question, answer))
                counts[more_like_this.TOTAL] += 1
            cursor.executemany("INSERT INTO qa_search_term (term, docs) VALUES (%s, %s)", sorted(counts.items()))


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
        migrations.RunPython(count_words, migrations.RunPython.noop),
    ]
