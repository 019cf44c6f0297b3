"""`tiski import-zendesk FOLDER`: move in from a Zendesk export (see docs/moving-in.md)."""

from django.utils.translation import gettext as _

from tiski.movein import zendesk
from tiski.movein.command import ImportCommand


class Command(ImportCommand):
    help = _("Import tickets, users, organisations and groups from a Zendesk export folder.")
    reader = staticmethod(zendesk.read_export)
