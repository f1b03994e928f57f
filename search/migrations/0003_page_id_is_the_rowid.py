"""Page ids as ``integer`` (Wagtail's own page ids are): on SQLite the column then *is* the table's rowid, so
the full-text index's lookups of a match's row (facets, access filter, snippets) take one B-tree seek, not two.
SQLite rebuilds both tables with their rows; the FTS5 index keeps pointing at the same ids."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('qa_search', '0002_full_text'),
    ]

    operations = [
        migrations.AlterField(
            model_name='indexentry',
            name='page_id',
            field=models.IntegerField(primary_key=True, serialize=False),
        ),
        migrations.AlterField(
            model_name='indextext',
            name='page_id',
            field=models.IntegerField(primary_key=True, serialize=False),
        ),
    ]
