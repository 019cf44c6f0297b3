"""Writes to contacts and organisations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from .models import (
    Contact,
    Identity,
    IdentityKind,
    NameSource,
    OrganisationDomain,
    normalise_identity,
)


def find_contact(kind: str, value: str) -> Contact | None:
    identity = (
        Identity.objects.select_related("contact")
        .filter(kind=kind, value=normalise_identity(kind, value))
        .first()
    )
    return identity.contact if identity else None


@dataclass(frozen=True)
class ContactWanted:
    """Someone a channel heard from: an identity, and what to call a new contact."""

    value: str
    name: str = ""
    language: str = "fi"
    # Who gave the name: the person (their own From), someone else's To or
    # Cc line (NameSource.COPIED), or an agent.
    name_source: str = NameSource.OWN


def name_replaces(current: str, current_source: str, new: str, new_source: str) -> bool:
    """Whether a name from ``new_source`` should replace the contact's name.

    An agent's name always wins and is never replaced by mail; the person's
    own name replaces one copied from someone else's mail; a copied name
    only fills an empty one.
    """
    new = new.strip()
    if not new or new == current and new_source == current_source:
        return False
    if new_source == NameSource.AGENT:
        return True
    if current_source == NameSource.AGENT:
        return False
    if not current.strip():
        return True
    return new_source == NameSource.OWN and current_source == NameSource.COPIED


def set_contact_name(contact: Contact, name: str) -> Contact:
    """An agent names the contact: mail never changes that name again."""
    contact.name = name.strip()[:200]
    contact.name_source = NameSource.AGENT
    contact.save(update_fields=["name", "name_source", "updated_at"])
    return contact


def get_or_create_contact(
    kind: str,
    value: str,
    *,
    name: str = "",
    language: str = "fi",
    organisation=None,
    name_source: str = NameSource.OWN,
) -> tuple[Contact, bool]:
    """The contact that owns this identity, created with it when unknown."""
    found = get_or_create_contacts(
        kind, [ContactWanted(value, name, language, name_source)], organisation=organisation
    )
    return found[normalise_identity(kind, value)]


def get_or_create_contacts(
    kind: str, wanted: Sequence[ContactWanted], *, organisation=None
) -> dict[str, tuple[Contact, bool]]:
    """The contacts owning these identities, made for the unknown ones.

    Keyed by normalised value, with whether the contact was created now.
    Costs one query when everyone is known and five when some are not,
    however many people there are (an import reads hundreds at a time).
    Safe when another process creates the same person at the same moment:
    the unique identity decides, and the loser's new contact is removed
    again in favour of the winner's.
    """
    first: dict[str, ContactWanted] = {}
    for item in wanted:
        value = normalise_identity(kind, item.value)
        if not value:
            continue
        seen = first.get(value)
        if seen is None or name_replaces(seen.name, seen.name_source, item.name, item.name_source):
            first[value] = item
    found: dict[str, tuple[Contact, bool]] = {
        identity.value: (identity.contact, False)
        for identity in Identity.objects.select_related("contact").filter(
            kind=kind, value__in=list(first)
        )
    }
    _rename_known(found, first)
    missing = [value for value in first if value not in found]
    if not missing:
        return found
    organisations: dict[str, object] = {}
    if organisation is None and kind == IdentityKind.EMAIL:
        domains = {value.rpartition("@")[2] for value in missing}
        organisations = {
            link.domain: link.organisation
            for link in OrganisationDomain.objects.select_related("organisation").filter(
                domain__in=domains
            )
        }
    with transaction.atomic():
        contacts = [
            Contact(
                name=first[value].name.strip()[:200],
                name_source=first[value].name_source if first[value].name.strip() else "",
                language=first[value].language,
                organisation=organisation or organisations.get(value.rpartition("@")[2]),
            )
            for value in missing
        ]
        Contact.objects.bulk_create(contacts)
        Identity.objects.bulk_create(
            [
                Identity(contact=contact, kind=kind, value=value)
                for contact, value in zip(contacts, missing, strict=True)
            ],
            ignore_conflicts=True,
        )
        owners = dict(
            Identity.objects.filter(kind=kind, value__in=missing).values_list("value", "contact_id")
        )
        mine = {contact.pk: contact for contact in contacts}
        lost = [c.pk for c, value in zip(contacts, missing, strict=True) if owners[value] != c.pk]
        if lost:  # someone else made these people first: theirs count
            Contact.objects.filter(pk__in=lost).delete()
            winners = Contact.objects.in_bulk([owners[v] for v in missing if owners[v] not in mine])
        else:
            winners = {}
    for value in missing:
        owner = owners[value]
        found[value] = (mine[owner], True) if owner in mine else (winners[owner], False)
    return found


def _rename_known(found: dict[str, tuple[Contact, bool]], wanted: dict[str, ContactWanted]) -> None:
    """Give known contacts the better names these messages carry, in one UPDATE."""
    changed: dict[int, Contact] = {}
    now = timezone.now()
    for value, (contact, _created) in found.items():
        item = wanted[value]
        if name_replaces(contact.name, contact.name_source, item.name, item.name_source):
            contact.name, contact.name_source = item.name.strip()[:200], item.name_source
            contact.updated_at = now
            changed[contact.pk] = contact
    if changed:
        Contact.objects.bulk_update(list(changed.values()), ["name", "name_source", "updated_at"])


def add_identity(contact: Contact, kind: str, value: str) -> Identity:
    return Identity.objects.create(contact=contact, kind=kind, value=value)
