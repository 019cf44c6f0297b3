from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PhoneConfig(AppConfig):
    name = "tiski.connectors.phone"
    label = "phone"
    verbose_name = _("Phone")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from tiski.core import config_cache
        from tiski.customers import merge_participants
        from tiski.customers import timeline as customer_timeline

        from . import contact_merge, timeline
        from .models import PhoneLine

        # Whether a line can dial out is kept by the desk's pages (core/config_cache.py).
        config_cache.watch(PhoneLine)

        # Calls name a contact: a contact merge moves them with the person.
        merge_participants.register(
            "phone",
            keys=contact_merge.MERGE_KEYS,
            merge=contact_merge.merge,
            undo=contact_merge.undo,
        )
        # Calls never logged on a ticket show on the customer's timeline.
        customer_timeline.add_source(timeline.unlogged_calls)
