"""Empty customer mails stored our "(empty message)" wording as their text.

The conversation now says that itself, and exports must carry the customer's
text only, so the stored wording (in English or Finnish, whichever language
the worker ran in) is cleared where the mail had nothing else.
"""

from django.db import migrations

WORDING = ["(empty message)", "(tyhjä viesti)"]


def clear_wording(apps, schema_editor) -> None:
    Message = apps.get_model("tickets", "Message")
    (
        Message.objects.filter(kind="customer", channel="email", text__in=WORDING, html="")
        .filter(attachments__isnull=True)
        .update(text="")
    )


class Migration(migrations.Migration):
    dependencies = [("tickets", "0008_message_thread_index_root")]

    operations = [migrations.RunPython(clear_wording, migrations.RunPython.noop)]
