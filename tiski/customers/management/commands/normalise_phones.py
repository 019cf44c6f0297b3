"""`tiski normalise-phones`: rewrite stored phone identities in E.164 again.

The data migration does this once; run it after changing
``TISKI_PHONE_REGION`` so numbers typed without a country code are read
in the new region. Contacts that turn out to share a number are merged,
each merge recorded and undoable from the contact's merge page.
"""

from __future__ import annotations

from django.apps import apps
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _

from tiski.customers.phone_identities import normalise_phone_identities
from tiski.customers.phones import default_region


class Command(BaseCommand):
    help = "Rewrite stored phone numbers in E.164 and merge contacts that share one."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--region", default="", help="Two-letter region, e.g. FI or SE.")

    def handle(self, *args, region: str = "", **options) -> None:
        with transaction.atomic():
            report = normalise_phone_identities(apps, (region or default_region()).upper())
        self.stdout.write(
            _("%(rewritten)d numbers rewritten, %(merged)d contacts merged.")
            % {"rewritten": report.rewritten, "merged": len(report.merged)}
        )
        for value in report.unparsable:
            self.stdout.write(_("Not a phone number, left as it is: %(value)s") % {"value": value})
