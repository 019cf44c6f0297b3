"""`tiski report NAME --from --to ...`: a report's figures for scripts and checks.

Prints what the page shows (the same `metrics` functions). `--rebuild`
refills the facts table from the raw rows and recounts the hourly, daily
and monthly rollups (then, on PostgreSQL, vacuums and analyses the report
tables); `--verify` recounts every ticket's facts from the raw rows and
the rollups from the facts, and exits 1 on any difference.
"""

from __future__ import annotations

import json
import sys
from itertools import chain

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from tiski.reports import (
    contact_totals,
    daily,
    exports,
    facts,
    monthly,
    monthly_created,
    monthly_replies,
    periods,
    rollups,
)
from tiski.reports.facts import vacuum_report_tables
from tiski.reports.metrics import DIMENSIONS, REPORTS, ReportFilters, Scope

BY_CHOICES = [*periods.BUCKETS, *DIMENSIONS]


class Command(BaseCommand):
    help = "Print a report (volume, response, sla, agents, customers, csat, nps) as JSON or CSV."

    def add_arguments(self, parser) -> None:
        parser.add_argument("name", nargs="?", help=", ".join(REPORTS))
        parser.add_argument("--from", dest="date_from", help="first day, YYYY-MM-DD")
        parser.add_argument("--to", dest="date_to", help="last day, YYYY-MM-DD (included)")
        parser.add_argument("--period", help=", ".join(periods.PRESETS))
        parser.add_argument("--team", action="append", default=[], help="team id or name")
        parser.add_argument("--agent", action="append", default=[], help="agent email")
        parser.add_argument("--channel", action="append", default=[])
        parser.add_argument("--type", action="append", default=[], help="type identifier")
        parser.add_argument("--priority", action="append", default=[])
        parser.add_argument("--organisation", action="append", default=[], help="organisation id")
        parser.add_argument("--tag", action="append", default=[])
        parser.add_argument("--mailbox", action="append", default=[])
        parser.add_argument("--by", choices=BY_CHOICES, help="time bucket or breakdown")
        parser.add_argument("--as", dest="as_user", help="email of the user whose view to print")
        parser.add_argument("--format", choices=["json", "csv"], default="json")
        parser.add_argument("--language", default="en")
        parser.add_argument(
            "--verify", action="store_true", help="recount facts and rollups, diff, exit 1 on any"
        )
        parser.add_argument(
            "--rebuild", action="store_true", help="refill the facts table and the rollups"
        )

    def handle(self, *args, **opts) -> None:
        if opts["rebuild"]:
            written = facts.rebuild()
            self.stdout.write(f"facts, hourly and monthly rollups rebuilt for {written} tickets")
            if vacuum_report_tables():
                self.stdout.write("report tables vacuumed and analysed")
            return
        if opts["verify"]:
            differences = 0
            # The facts against the raw rows, then the rollups against the facts.
            for line in chain(
                facts.verify(),
                rollups.verify(),
                daily.verify(),
                monthly.verify(),
                monthly_created.verify(),
                monthly_replies.verify(),
                contact_totals.verify(),
            ):
                differences += 1
                self.stdout.write(line)
            self.stdout.write(f"{differences} differences")
            if differences:
                sys.exit(1)
            return
        name = opts["name"]
        if name not in REPORTS:
            raise CommandError(f"NAME must be one of: {', '.join(REPORTS)}")
        with translation.override(opts["language"]):
            scope = self._scope(opts)
            result = REPORTS[name].build(scope)
            if opts["format"] == "csv":
                self.stdout.write(exports.to_csv(result), ending="")
            else:
                self.stdout.write(json.dumps(result.as_data(), ensure_ascii=False, indent=2))

    def _scope(self, opts) -> Scope:
        from tiski.accounts.models import Team, User

        if opts["as_user"]:
            user = User.objects.filter(email__iexact=opts["as_user"]).first()
            if user is None:
                raise CommandError(f"no user {opts['as_user']}")
        else:
            # The command speaks for the whole desk, as an admin would see it.
            user = User(role="admin", is_active=True)
            user.is_superuser = True
        params: dict[str, list[str] | str] = {
            "from": opts["date_from"] or "",
            "to": opts["date_to"] or "",
            "period": opts["period"] or "",
        }
        teams = []
        for value in opts["team"]:
            team = (
                Team.objects.filter(pk=int(value)).first()
                if value.isdigit()
                else Team.objects.filter(name__iexact=value).first()
            )
            if team is None:
                raise CommandError(f"no team {value}")
            teams.append(str(team.pk))
        agents = []
        for email in opts["agent"]:
            agent = User.objects.filter(email__iexact=email).first()
            if agent is None:
                raise CommandError(f"no agent {email}")
            agents.append(str(agent.pk))
        filters = ReportFilters.from_params(
            {
                "team": teams,
                "agent": agents,
                "channel": opts["channel"],
                "type": opts["type"],
                "priority": opts["priority"],
                "organisation": opts["organisation"],
                "tag": opts["tag"],
                "mailbox": opts["mailbox"],
            }
        )
        by = opts["by"] or ""
        return Scope(
            user=user,
            period=periods.parse(params),
            filters=filters,
            bucket=by if by in periods.BUCKETS else "",
            by=by if by in DIMENSIONS else "",
        )
