"""`tiski import-freshdesk`: from an export folder or the live API (docs/moving-in.md)."""

from typing import Any

from django.utils.translation import gettext as _

from tiski.movein import freshdesk, freshdesk_api
from tiski.movein.api import ApiClient
from tiski.movein.command import ImportCommand
from tiski.movein.models import Source
from tiski.movein.position import Position
from tiski.movein.reading import ExportSource


class Command(ImportCommand):
    help = _(
        "Import tickets, contacts, agents, companies and groups from a Freshdesk export folder, "
        "or from Freshdesk's API with --domain or --url."
    )
    read = staticmethod(freshdesk.read)

    def add_live_arguments(self, group: Any) -> None:
        group.add_argument("--domain", help=_("The account's address: acme.freshdesk.com"))
        group.add_argument("--url", help=_("The account's address with its scheme"))
        group.add_argument("--api-key-env", help=_("The environment variable holding the API key"))
        group.add_argument("--api-key-file", help=_("A file holding the API key"))

    def live_requested(self, options: dict[str, Any]) -> bool:
        return bool(options["domain"] or options["url"])

    def live_source(self, options: dict[str, Any]) -> tuple[ExportSource, ApiClient, Position]:
        key = self.secret(options, "api_key_env", "api_key_file")
        base = freshdesk_api.base_url(domain=options["domain"], url=options["url"])
        client = ApiClient(base, freshdesk_api.authorization(key))
        start = None
        if options["since"] or options["restart"]:
            start = freshdesk_api.updated_since(options["since"])
        position = Position(Source.FRESHDESK, client.host, start=start)
        return freshdesk_api.FreshdeskApi(client, position), client, position
