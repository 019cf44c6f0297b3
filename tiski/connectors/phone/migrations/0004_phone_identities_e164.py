"""Phone identities to E.164; contacts that turn out to share a number are merged.

In the phone app rather than customers because the merge also moves calls,
and this app already depends on customers and tickets, so the historical
models of all three are in reach without a new cross-app dependency. The
work is `tiski.customers.phone_identities.normalise_phone_identities`, which
takes the migration's model registry and is also behind the
``normalise-phones`` command (to run again after changing the region).
"""

from django.conf import settings
from django.db import migrations


def forwards(apps, schema_editor):
    from tiski.customers.phone_identities import normalise_phone_identities

    normalise_phone_identities(apps, getattr(settings, "TISKI_PHONE_REGION", "FI"))


class Migration(migrations.Migration):
    dependencies = [
        ("phone", "0003_contactmerge_to_customers"),
        ("customers", "0004_contact_name_source"),
        ("tickets", "0008_message_thread_index_root"),
    ]

    # Merged contacts are undone one by one from their merge records; going
    # back a migration leaves the numbers in E.164, which every reader accepts.
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
