"""`tiski import-freshdesk FOLDER`: move in from a Freshdesk export (see docs/moving-in.md)."""

from django.utils.translation import gettext as _

from tiski.movein import freshdesk
from tiski.movein.command import ImportCommand


class Command(ImportCommand):
    help = _(
        "Import tickets, contacts, agents, companies and groups from a Freshdesk export folder."
    )
    reader = staticmethod(freshdesk.read_export)
