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
    Section(
        "mailboxes",
        _("Mailboxes"),
        "setup:mailboxes",
        CHANNELS,
        "setup:mailbox",
        description=_(
            "Addresses customers write to: connection, signature, default team and "
            "the acknowledgement."
        ),
    ),
    Section(
        "phone_lines",
        _("Phone lines"),
        "setup:phone-lines",
        CHANNELS,
        "setup:phone-line",
        description=_("Numbers your telephony system reports calls for, and their tokens."),
    ),
    Section(
        "sms_accounts",
        _("SMS numbers"),
        "setup:sms-accounts",
        CHANNELS,
        "setup:sms-account",
        description=_("Numbers customers text, their provider, and where their tickets go."),
    ),
    Section(
        "telegram_bots",
        _("Telegram bots"),
        "setup:telegram-bots",
        CHANNELS,
        "setup:telegram-bot",
        description=_("Bots customers message on Telegram, their webhook and team."),
    ),
    Section(
        "whatsapp_accounts",
        _("WhatsApp numbers"),
        "setup:whatsapp-accounts",
        CHANNELS,
        "setup:whatsapp-",
        description=_("WhatsApp Business numbers, their webhook and approved templates."),
    ),
    Section(
        "meta_accounts",
        _("Messenger and Instagram"),
        "setup:meta-accounts",
        CHANNELS,
        "setup:meta-account",
        description=_("Facebook pages and Instagram accounts, their webhook and team."),
    ),
    Section(
        "webchat",
        _("Web chat"),
        "setup:chat-widgets",
        CHANNELS,
        "setup:chat-widget",
        description=_("The chat button on your web site: allowed sites, greetings, the team."),
    ),
    Section(
        "calendars",
        _("Business calendars"),
        "setup:calendars",
        WORK,
        "setup:calendar",
        description=_("Opening hours, holidays and exceptions that service levels count in."),
    ),
    Section(
        "sla_policies",
        _("Service level policies"),
        "setup:sla-policies",
        WORK,
        "setup:sla-polic",
        description=_(
            "Reply and resolution targets per priority, and which tickets they apply to."
        ),
    ),
    Section(
        "macros",
        _("Ready answers"),
        "setup:macros",
        AUTOMATION,
        "setup:macro",
        description=_("Answers agents send with a few keystrokes, with placeholders and actions."),
    ),
    Section(
        "triggers",
        _("Triggers"),
        "rules:trigger-list",
        AUTOMATION,
        "rules:trigger-",
        description=_("Rules that act right after something happens to a ticket."),
    ),
    Section(
        "time_rules",
        _("Time rules"),
        "rules:time-list",
        AUTOMATION,
        "rules:time-",
        description=_("Rules that act when a ticket has waited: reminders, solving, closing."),
    ),
    Section(
        "surveys",
        _("Surveys"),
        "setup:surveys",
        AUTOMATION,
        "setup:surveys",
        description=_(
            "Satisfaction and recommendation surveys: texts, links and how often;"
            " whether handling time is measured."
        ),
    ),
    Section(
        "webhooks",
        _("Webhooks"),
        "setup:webhooks",
        AUTOMATION,
        "setup:webhook",
        description=_("Other systems told of new tickets, replies and changes, as signed POSTs."),
    ),
    Section(
        "api_clients",
        _("API clients"),
        "setup:api-clients",
        AUTOMATION,
        "setup:api-client",
        description=_("Servers of other systems that use the API with a client id and secret."),
    ),
    Section(
        "side_panel_cards",
        _("Side-panel cards"),
        "setup:side-panel-cards",
        AUTOMATION,
        "setup:side-panel-card",
        description=_("The customer in your CRM or web shop, beside every ticket."),
    ),
    Section(
        "helpcentre",
        _("Help centre"),
        "setup:helpcentre",
        DESK,
        "setup:helpcentre",
        description=_("The public help centre's name, logo, colour and footer."),
    ),
    Section(
        "synonyms",
        _("Search synonyms"),
        "setup:synonyms",
        DESK,
        "setup:synonym",
        description=_("Words that find each other in search: lasku, faktuura."),
    ),
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
        "ticket_fields",
        _("Ticket fields"),
        "setup:ticket-fields",
        DESK,
        "setup:ticket-field",
        _("Your own fields on tickets (order number, product, ...), per ticket type."),
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
    Section(
        "log",
        _("Change log"),
        "setup:log",
        DESK,
        description=_("Who changed which setting, and when."),
    ),
]


def grouped() -> list[tuple[Promise, list[Section]]]:
    groups: dict[str, tuple[Promise, list[Section]]] = {}
    for section in SECTIONS:
        groups.setdefault(str(section.group), (section.group, []))[1].append(section)
    return list(groups.values())


def current(view_name: str) -> str:
    """The key of the section a view belongs to, or ''."""
    return next((s.key for s in SECTIONS if s.owns(view_name)), "")
