"""Message.thread_index_root: Outlook's conversation root, for threading replies without References."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0007_ticketmerge"),
    ]

    operations = [
        migrations.AddField(
            model_name="message",
            name="thread_index_root",
            field=models.CharField(blank=True, default="", max_length=44),
        ),
        migrations.AddIndex(
            model_name="message",
            index=models.Index(
                condition=models.Q(("thread_index_root", ""), _negated=True),
                fields=["thread_index_root"],
                name="message_thread_index",
            ),
        ),
    ]
