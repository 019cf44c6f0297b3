"""What `tiski import-zendesk` and `tiski import-freshdesk` share."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

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


class ImportCommand(BaseCommand):
    reader: Callable[[Path], Export]

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", help=_("The folder of the export's JSON files"))
        parser.add_argument(
            "--no-fetch",
            action="store_true",
            help=_("Do not fetch attachments missing from the folder from their URLs"),
        )
        parser.add_argument(
            "--log", help=_("Write what could not be mapped to this file (default: the output)")
        )

    def handle(self, *args, **options) -> None:
        folder = Path(options["folder"])
        if not folder.is_dir():
            raise CommandError(_("%(path)s is not a folder.") % {"path": folder})
        export = type(self).reader(folder)
        summary = Writer(export, folder, fetch_urls=not options["no_fetch"]).run()
        self.summary = summary
        self.report(summary, options.get("log"))

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
