from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tiski.tickets"
    label = "tickets"
    verbose_name = _("Tickets")

    def ready(self) -> None:
        from tiski.customers import merge_participants

        from . import actions, checks  # noqa: F401 - checks registers the system check

        # Tickets name contacts (requester, CCs, authors): a contact merge moves them here.
        merge_participants.register(
            "tickets",
            keys=actions.CONTACT_MERGE_KEYS,
            merge=actions.replace_contact,
            undo=actions.restore_contact,
        )
