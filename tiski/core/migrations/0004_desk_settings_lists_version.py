"""The lists version of core/config_cache.py, and the one DeskSettings row made
here, so every desk has the row the web processes read their version from."""

from django.db import migrations, models

import tiski.core.models


def make_the_row(apps, schema_editor):
    DeskSettings = apps.get_model("core", "DeskSettings")
    if not DeskSettings.objects.filter(pk=1).exists():
        DeskSettings.objects.create(pk=1, lists_version=tiski.core.models.new_lists_version())


class Migration(migrations.Migration):
    dependencies = [("core", "0003_ticket_number_sequence")]

    operations = [
        migrations.AddField(
            model_name="desksettings",
            name="lists_version",
            field=models.CharField(
                default=tiski.core.models.new_lists_version, editable=False, max_length=32
            ),
        ),
        migrations.RunPython(make_the_row, migrations.RunPython.noop),
    ]
