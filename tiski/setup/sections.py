"""The one list of Settings sections: the nav, the home page and the
onboarding checklist read it. Add a section with one line here."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Section:
    key: str  # also the `section` written to the settings log
    title: Promise
    url_name: str  # the section's first page
    group: Promise
    # Views whose name starts with this belong to the section (the nav marks it).
    prefix: str = ""
    # One line on the settings home saying what the section is for.
    description: Promise | str = ""

    def owns(self, view_name: str) -> bool:
        return view_name.startswith(self.prefix or self.url_name)


CHANNELS = _("Channels")
WORK = _("Working hours and service levels")
DESK = _("Desk")
PEOPLE = _("People")
AUTOMATION = _("Automation")

SECTIONS: list[Section] = [
    Section("mailboxes", _("Mailboxes"), "setup:mailboxes", CHANNELS, "setup:mailbox"),
    Section("phone_lines", _("Phone lines"), "setup:phone-lines", CHANNELS, "setup:phone-line"),
    Section("calendars", _("Business calendars"), "setup:calendars", WORK, "setup:calendar"),
    Section(
        "sla_policies",
        _("Service level policies"),
        "setup:sla-policies",
        WORK,
        "setup:sla-polic",
    ),
    Section("macros", _("Ready answers"), "setup:macros", AUTOMATION, "setup:macro"),
    Section("triggers", _("Triggers"), "rules:trigger-list", AUTOMATION, "rules:trigger-"),
    Section("time_rules", _("Time rules"), "rules:time-list", AUTOMATION, "rules:time-"),
    Section("synonyms", _("Search synonyms"), "setup:synonyms", DESK, "setup:synonym"),
    Section(
        "general",
        _("General"),
        "setup:general",
        DESK,
        "setup:general",
        _("Desk name, default language, time zone and logo."),
    ),
    Section(
        "ticket_types",
        _("Ticket types"),
        "setup:ticket-types",
        DESK,
        "setup:ticket-type",
        _("The kinds of tickets the desk handles, in the order agents see them."),
    ),
    Section(
        "priorities",
        _("Priority labels"),
        "setup:priorities",
        DESK,
        "setup:priorit",
        _("Your own names for the four priorities, in each language."),
    ),
    Section(
        "tags",
        _("Tags"),
        "setup:tags",
        DESK,
        "setup:tag",
        _("Every tag in use: rename, merge or delete."),
    ),
    Section(
        "agents",
        _("Agents"),
        "setup:agents",
        PEOPLE,
        "setup:agent",
        _("Invite colleagues; roles, teams, skills and out of office."),
    ),
    Section(
        "teams",
        _("Teams"),
        "setup:teams",
        PEOPLE,
        "setup:team",
        _("Members, how tickets are routed, and restricted teams."),
    ),
    Section("log", _("Change log"), "setup:log", DESK),
]


def grouped() -> list[tuple[Promise, list[Section]]]:
    groups: dict[str, tuple[Promise, list[Section]]] = {}
    for section in SECTIONS:
        groups.setdefault(str(section.group), (section.group, []))[1].append(section)
    return list(groups.values())


def current(view_name: str) -> str:
    """The key of the section a view belongs to, or ''."""
    return next((s.key for s in SECTIONS if s.owns(view_name)), "")
