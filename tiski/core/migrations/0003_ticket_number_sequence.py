"""On PostgreSQL, ticket numbers come from a database sequence (see core.Sequence).

Made here, not on first use: a sequence created inside a ticket's
transaction would stay invisible, and block the next ticket's creation,
until that transaction commits.
"""

from django.db import migrations

FIRST_NUMBER_AFTER = 1000  # Sequence.next_value's default start


def create_sequences(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    Sequence = apps.get_model("core", "Sequence")
    values = dict(Sequence.objects.values_list("name", "value"))
    values.setdefault("ticket_number", FIRST_NUMBER_AFTER)
    with schema_editor.connection.cursor() as cursor:
        for name, value in values.items():
            cursor.execute(
                f"CREATE SEQUENCE IF NOT EXISTS tiski_number_{name} "
                f"AS bigint MINVALUE 1 START WITH {max(int(value), 0) + 1}"
            )


def drop_sequences(apps, schema_editor):
    """Back to the row: its value continues from the sequence's."""
    if schema_editor.connection.vendor != "postgresql":
        return
    Sequence = apps.get_model("core", "Sequence")
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relkind = 'S' AND relname LIKE 'tiski_number_%%'"
        )
        for (relname,) in cursor.fetchall():
            cursor.execute(f"SELECT last_value, is_called FROM {relname}")
            last, called = cursor.fetchone()
            name = relname.removeprefix("tiski_number_")
            Sequence.objects.update_or_create(
                name=name, defaults={"value": last if called else last - 1}
            )
            cursor.execute(f"DROP SEQUENCE {relname}")


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0002_desk_settings"),
    ]

    operations = [migrations.RunPython(create_sequences, drop_sequences)]
