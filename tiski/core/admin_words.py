"""Finnish object forms of the admin's model names.

Django's admin builds titles as "Change %s" from a model's verbose name,
which Finnish would have in the partitive ("Muokkaa palvelutasokäytäntöä",
not "Muokkaa palvelutasokäytäntö"). Verbose names stay in the nominative
(they are headings and column titles); this table gives the object form
the change page's title needs, keyed by model label. A model missing here
gets a title that needs no case ("Muokkaa: tiimi").
"""

from __future__ import annotations

from django.utils.translation import pgettext_lazy

PARTITIVE = {
    "auth.group": pgettext_lazy("object of 'change'", "group"),
    "accounts.user": pgettext_lazy("object of 'change'", "user"),
    "accounts.team": pgettext_lazy("object of 'change'", "team"),
    "customers.contact": pgettext_lazy("object of 'change'", "contact"),
    "customers.organisation": pgettext_lazy("object of 'change'", "organisation"),
    "customers.contactmerge": pgettext_lazy("object of 'change'", "contact merge"),
    "tickets.tickettype": pgettext_lazy("object of 'change'", "ticket type"),
    "tickets.tag": pgettext_lazy("object of 'change'", "tag"),
    "tickets.ticketmerge": pgettext_lazy("object of 'change'", "ticket merge"),
    "sla.calendar": pgettext_lazy("object of 'change'", "business calendar"),
    "sla.slapolicy": pgettext_lazy("object of 'change'", "SLA policy"),
    "macros.macro": pgettext_lazy("object of 'change'", "ready answer"),
    "comms.mailbox": pgettext_lazy("object of 'change'", "mailbox"),
    "comms.inboundreceipt": pgettext_lazy("object of 'change'", "inbound receipt"),
    "rules.trigger": pgettext_lazy("object of 'change'", "trigger"),
    "rules.timerule": pgettext_lazy("object of 'change'", "time rule"),
    "rules.rulefiring": pgettext_lazy("object of 'change'", "rule firing"),
    "rules.notification": pgettext_lazy("object of 'change'", "notification"),
    "phone.phoneline": pgettext_lazy("object of 'change'", "phone line"),
    "phone.agentphone": pgettext_lazy("object of 'change'", "agent extension"),
    "phone.call": pgettext_lazy("object of 'change'", "call"),
    "phone.callback": pgettext_lazy("object of 'change'", "callback"),
    "phone.smsmessage": pgettext_lazy("object of 'change'", "SMS"),
}
