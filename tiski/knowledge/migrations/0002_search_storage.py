"""Where the articles' full text is searched: FTS5 on SQLite, a GIN index on PostgreSQL.

The statements are written out here rather than imported from the indexing
module, so this migration never changes with that code.
"""

from django.db import migrations


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS knowledge_article_fts USING fts5("
            "subject, people, body, lemmas, parts, tokenize = 'unicode61 remove_diacritics 0')"
        )
        schema_editor.execute(
            "CREATE TRIGGER IF NOT EXISTS knowledge_translation_delete_fts AFTER DELETE ON "
            "knowledge_articletranslation "
            "BEGIN DELETE FROM knowledge_article_fts WHERE rowid = old.id; END"
        )
    elif vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS knowledge_article_vector_gin "
            "ON knowledge_articleindex USING gin (search_vector)"
        )


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS knowledge_translation_delete_fts")
        schema_editor.execute("DROP TABLE IF EXISTS knowledge_article_fts")
    elif vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS knowledge_article_vector_gin")


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
