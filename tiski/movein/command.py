"""What `tiski import-zendesk` and `tiski import-freshdesk` share."""

from __future__ import annotations

from argparse import ArgumentTypeError
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .api import ApiClient, ApiStopped, read_secret
from .position import Position
from .reading import ExportSource, Folder
from .records import Export
from .writer import Summary, Writer

# The summary's lines, in this order.
LABELS = {
    "tickets_created": gettext_lazy("tickets created"),
    "tickets_updated": gettext_lazy("tickets updated"),
    "tickets_closed_kept": gettext_lazy("closed tickets left as they were"),
    "tickets_failed": gettext_lazy("tickets not imported"),
    "messages_public": gettext_lazy("messages"),
    "messages_internal": gettext_lazy("internal notes"),
    "attachments": gettext_lazy("attachments"),
    "attachments_missing": gettext_lazy("attachments not read"),
    "comments_empty": gettext_lazy("empty comments left out"),
    "contacts_created": gettext_lazy("contacts created"),
    "users_created": gettext_lazy("inactive users created"),
    "organisations_created": gettext_lazy("organisations created"),
    "organisations_updated": gettext_lazy("organisations renamed"),
    "teams_created": gettext_lazy("teams created"),
}


def since_date(value: str) -> datetime:
    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError as error:
        raise ArgumentTypeError(
            _("%(value)s is not a date like 2024-01-31") % {"value": value}
        ) from error


class ImportCommand(BaseCommand):
    """A folder, or with the live options the vendor's API; the same reader and writer."""

    # read(ExportSource) -> Export: zendesk.read or freshdesk.read.
    read: Callable[[ExportSource], Export]

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", nargs="?", help=_("The folder of the export's JSON files"))
        parser.add_argument(
            "--no-fetch",
            action="store_true",
            help=_("Do not fetch attachments missing from the folder from their URLs"),
        )
        parser.add_argument(
            "--log", help=_("Write what could not be mapped to this file (default: the output)")
        )
        live = parser.add_argument_group(_("reading the live API instead of a folder"))
        self.add_live_arguments(live)
        live.add_argument(
            "--since",
            type=since_date,
            help=_("Read only tickets changed on or after this date (YYYY-MM-DD)"),
        )
        live.add_argument(
            "--restart",
            action="store_true",
            help=_("Read from the beginning, not from where the last run got to"),
        )

    def add_live_arguments(self, group: Any) -> None:
        raise NotImplementedError

    def live_requested(self, options: dict[str, Any]) -> bool:
        raise NotImplementedError

    def live_source(self, options: dict[str, Any]) -> tuple[ExportSource, ApiClient, Position]:
        """The API source, its client and its position, from the live options."""
        raise NotImplementedError

    def handle(self, *args: Any, **options: Any) -> None:
        live = self.live_requested(options)
        if bool(options["folder"]) == live:
            raise CommandError(_("Give either an export folder or the live API's address."))
        if options["folder"]:
            folder = Path(options["folder"])
            if not folder.is_dir():
                raise CommandError(_("%(path)s is not a folder.") % {"path": folder})
            export = type(self).read(Folder(folder))
            summary = Writer(export, folder, fetch_urls=not options["no_fetch"]).run()
            self.summary = summary
            self.report(summary, options.get("log"))
            return
        source, client, position = self.live_source(options)
        try:
            export = type(self).read(source)
            writer = Writer(export, None, fetch_urls=not options["no_fetch"])
            self.summary = writer.summary
            # A failed ticket keeps the position where it was, so the next run tries it again.
            position.hold = lambda: writer.summary.counts["tickets_failed"] > 0
            writer.run()
        except ApiStopped as error:
            if hasattr(self, "summary"):
                self.report(self.summary, options.get("log"))
            raise CommandError(
                _("The import stopped: %(error)s. Run the same command again to go on.")
                % {"error": error}
            ) from error
        self.report(self.summary, options.get("log"))
        self.stdout.write(
            _("%(count)d requests to the API; %(seconds)d seconds waited for its limits")
            % {"count": client.requests, "seconds": sum(client.waited)}
        )

    def secret(self, options: dict[str, Any], env_option: str, file_option: str) -> str:
        try:
            value = read_secret(env_name=options[env_option], file_path=options[file_option])
        except OSError as error:
            raise CommandError(str(error)) from error
        if not value:
            flag_env = "--" + env_option.replace("_", "-")
            flag_file = "--" + file_option.replace("_", "-")
            raise CommandError(
                _("Give the API key or token with %(env)s NAME or %(file)s PATH.")
                % {"env": flag_env, "file": flag_file}
            )
        return value

    def report(self, summary: Summary, log_path: str | None) -> None:
        for key, label in LABELS.items():
            if summary.counts.get(key):
                self.stdout.write(f"{label}: {summary.counts[key]}")
        if not summary.problems:
            return
        if log_path:
            Path(log_path).write_text("\n".join(summary.problems) + "\n", encoding="utf-8")
            self.stdout.write(
                _("%(count)d things could not be mapped; see %(path)s")
                % {"count": len(summary.problems), "path": log_path}
            )
        else:
            self.stdout.write(_("Could not be mapped:"))
            for line in summary.problems:
                self.stdout.write(f"  {line}")
