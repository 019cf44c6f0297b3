# The in-app notification moved to its own app (tiski.notifications), which
# adds kinds, actors, followers and mentions. The table is renamed, not
# copied, so every existing notice keeps its id and read state.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("rules", "0002_default_time_rules"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Notification")],
            database_operations=[
                migrations.AlterModelTable(name="Notification", table="notifications_notification")
            ],
        ),
    ]
