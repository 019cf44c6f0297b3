"""Fill Message.preview for messages stored before it existed.

In batches by primary key, each committed on its own (the migration is not
atomic): a desk with millions of messages neither holds one huge transaction
nor starts over from the first row if it is interrupted, since rows already
filled are skipped.
"""

from django.db import migrations

BATCH = 1000


def fill_previews(apps, schema_editor):
    from tiski.core.sanitize import plain_preview

    Message = apps.get_model("tickets", "Message")
    last = 0
    while True:
        batch = list(
            Message.objects.filter(pk__gt=last, preview="")
            .order_by("pk")
            .only("pk", "text", "html", "meta")[:BATCH]
        )
        if not batch:
            return
        for message in batch:
            fold_at = message.meta.get("fold_text_at") if isinstance(message.meta, dict) else None
            message.preview = plain_preview(message.text, message.html, fold_text_at=fold_at)
        Message.objects.bulk_update(batch, ["preview"])
        last = batch[-1].pk


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("tickets", "0012_message_preview"),
    ]

    operations = [
        migrations.RunPython(fill_previews, migrations.RunPython.noop, elidable=True),
    ]
