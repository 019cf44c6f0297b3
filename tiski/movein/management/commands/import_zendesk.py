"""`tiski import-zendesk`: from an export folder or the live API (docs/moving-in.md)."""

import re
from typing import Any

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from tiski.movein import zendesk, zendesk_api
from tiski.movein.api import ApiClient
from tiski.movein.command import ImportCommand
from tiski.movein.models import Source
from tiski.movein.position import Position
from tiski.movein.reading import ExportSource

SUBDOMAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*")


class Command(ImportCommand):
    help = _(
        "Import tickets, users, organisations and groups from a Zendesk export folder, "
        "or from Zendesk's API with --subdomain or --url."
    )
    read = staticmethod(zendesk.read)

    def add_live_arguments(self, group: Any) -> None:
        group.add_argument(
            "--subdomain", help=_("The account's subdomain: acme for acme.zendesk.com")
        )
        group.add_argument("--url", help=_("The account's address, e.g. https://help.acme.example"))
        group.add_argument("--email", help=_("The address of the agent whose API token it is"))
        group.add_argument("--token-env", help=_("The environment variable holding the API token"))
        group.add_argument("--token-file", help=_("A file holding the API token"))

    def live_requested(self, options: dict[str, Any]) -> bool:
        return bool(options["subdomain"] or options["url"])

    def live_source(self, options: dict[str, Any]) -> tuple[ExportSource, ApiClient, Position]:
        if options["subdomain"] and not SUBDOMAIN.fullmatch(options["subdomain"]):
            raise CommandError(_("A subdomain is a single name like acme."))
        token = self.secret(options, "token_env", "token_file")
        base = zendesk_api.base_url(subdomain=options["subdomain"], url=options["url"])
        client = ApiClient(base, zendesk_api.authorization(options["email"], token))
        start = None
        if options["since"] or options["restart"]:
            start = zendesk_api.start_time(options["since"])
        position = Position(Source.ZENDESK, client.host, start=start)
        return zendesk_api.ZendeskApi(client, position), client, position
