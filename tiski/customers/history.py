"""The history of a contact's or an organisation's edits, as sentences.

`actions.save_contact` / `save_organisation` write a `CustomerChange` per
save; this module turns its entries into what the contact's and the
organisation's pages show: one short sentence per change, in the reader's
language.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _

from .models import Contact, CustomerChange, Organisation

# How many saves a page shows; the rest are old news.
SHOWN = 50


@dataclass(frozen=True)
class HistoryRow:
    at: datetime
    actor: str
    sentences: list[str]


def _language(code: str) -> str:
    names = dict(Contact._meta.get_field("language").choices)
    return str(names.get(code, code)) if code else _("none")


def _quoted(value: str) -> str:
    return "“%s”" % value  # noqa: UP031 - typographic quotes, same in both languages


def _changed(field: str, old: str, new: str) -> str:
    if field == "notes":
        if not old:
            return _("Wrote notes: %(new)s") % {"new": _quoted(new)}
        if not new:
            return _("Removed the notes.")
        return _("Changed the notes to %(new)s") % {"new": _quoted(new)}
    if field == "organisation":
        if not old:
            return _("Set the organisation to %(new)s.") % {"new": new}
        if not new:
            return _("Removed the organisation %(old)s.") % {"old": old}
        return _("Changed the organisation from %(old)s to %(new)s.") % {"old": old, "new": new}
    if field == "language":
        return _("Changed the language from %(old)s to %(new)s.") % {
            "old": _language(old),
            "new": _language(new),
        }
    if field == "name" and old:
        return _("Changed the name from %(old)s to %(new)s.") % {
            "old": _quoted(old),
            "new": _quoted(new),
        }
    if field == "name":
        return _("Set the name to %(new)s.") % {"new": _quoted(new)}
    if field == "portal_shared":
        return {
            "on": _("Let colleagues see each other's requests in the portal."),
            "off": _("Stopped colleagues seeing each other's requests in the portal."),
        }.get(new, _("Left sharing requests in the portal to the help centre's default."))
    return "%s: %s → %s" % (field, _quoted(old), _quoted(new))  # noqa: UP031 - a field added later


def sentence(entry: dict) -> str:
    """One history entry in words."""
    field = entry.get("field", "")
    if "old" not in entry or "new" not in entry:
        added = "new" in entry
        value = entry.get("new") if added else entry.get("old")
        words = {
            ("email", True): _("Added the email address %(value)s."),
            ("email", False): _("Removed the email address %(value)s."),
            ("phone", True): _("Added the phone number %(value)s."),
            ("phone", False): _("Removed the phone number %(value)s."),
            ("domain", True): _("Added the domain %(value)s."),
            ("domain", False): _("Removed the domain %(value)s."),
        }
        return words.get((field, added), "%(value)s") % {"value": value}
    return _changed(field, entry["old"] or "", entry["new"] or "")


def _rows(changes, created_words: str) -> list[HistoryRow]:
    rows = []
    for change in changes.select_related("actor")[:SHOWN]:
        sentences = [created_words] if change.created else []
        if not change.created:
            sentences += [sentence(entry) for entry in change.changes]
        actor = (change.actor.get_full_name() or change.actor.email) if change.actor else _("Tiski")
        rows.append(HistoryRow(at=change.created_at, actor=actor, sentences=sentences))
    return rows


def contact_history(contact: Contact) -> list[HistoryRow]:
    """The contact's edits, newest first."""
    return _rows(CustomerChange.objects.filter(contact=contact), _("Created the contact."))


def organisation_history(organisation: Organisation) -> list[HistoryRow]:
    return _rows(
        CustomerChange.objects.filter(organisation=organisation), _("Created the organisation.")
    )
