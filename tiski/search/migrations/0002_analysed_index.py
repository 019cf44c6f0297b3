"""The index holds analysed words (lemmas, compound parts) from now on.

SQLite's FTS5 table gains two columns, which FTS5 can only get by being made
again; on both databases the old entries are dropped, and `tiski run`,
`tiski demo` or `tiski reindex --missing` fill the index anew with the
analysed tokens (the migration does not call the indexing code, so it never
changes with it).
"""

from django.db import migrations


def forward(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "sqlite":
        schema_editor.execute("DROP TABLE IF EXISTS search_ticket_fts")
        schema_editor.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS search_ticket_fts USING fts5("
            "subject, people, body, lemmas, parts, "
            "tokenize = 'unicode61 remove_diacritics 0')"
        )
    apps.get_model("search", "SearchDocument").objects.all().delete()


def backward(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "sqlite":
        schema_editor.execute("DROP TABLE IF EXISTS search_ticket_fts")
        schema_editor.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS search_ticket_fts USING fts5("
            "subject, people, body, tokenize = 'unicode61 remove_diacritics 0')"
        )
    apps.get_model("search", "SearchDocument").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
