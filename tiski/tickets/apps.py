from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tiski.tickets"
    label = "tickets"
    verbose_name = _("Tickets")

    def ready(self) -> None:
        from tiski.core import config_cache
        from tiski.customers import merge_participants

        from . import actions, checks  # noqa: F401 - checks registers the system check
        from .models import PriorityLabel, TicketField, TicketType

        # Lists the desk's pages keep (core/config_cache.py).
        config_cache.watch(TicketType)
        config_cache.watch(PriorityLabel)
        config_cache.watch(TicketField)
        config_cache.watch_many_to_many(TicketField.ticket_types.through)

        # Tickets name contacts (requester, CCs, authors): a contact merge moves them here.
        merge_participants.register(
            "tickets",
            keys=actions.CONTACT_MERGE_KEYS,
            merge=actions.replace_contact,
            undo=actions.restore_contact,
        )
