"""The contact-merge record moves to the customers app, rows and all.

Only the table is renamed here (phone_contactmerge -> customers_contactmerge)
and the model leaves the phone app's state; customers 0003 takes it into its
state without touching the database. No row is copied, so ids, and the
undo links that point at them, stay as they were.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("phone", "0002_callback_sla"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.AlterModelTable(name="contactmerge", table="customers_contactmerge"),
            ],
            state_operations=[
                migrations.DeleteModel(name="ContactMerge"),
            ],
        ),
    ]
