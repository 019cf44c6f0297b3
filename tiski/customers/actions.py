"""Writes to contacts and organisations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction

from .models import Contact, Identity, IdentityKind, OrganisationDomain, normalise_identity


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


def get_or_create_contact(
    kind: str, value: str, *, name: str = "", language: str = "fi", organisation=None
) -> tuple[Contact, bool]:
    """The contact that owns this identity, created with it when unknown."""
    found = get_or_create_contacts(
        kind, [ContactWanted(value, name, language)], organisation=organisation
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
        if value and value not in first:
            first[value] = item
    found: dict[str, tuple[Contact, bool]] = {
        identity.value: (identity.contact, False)
        for identity in Identity.objects.select_related("contact").filter(
            kind=kind, value__in=list(first)
        )
    }
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
            winners = Contact.objects.in_bulk(
                [owners[v] for v in missing if owners[v] not in mine]
            )
        else:
            winners = {}
    for value in missing:
        owner = owners[value]
        found[value] = (mine[owner], True) if owner in mine else (winners[owner], False)
    return found


def add_identity(contact: Contact, kind: str, value: str) -> Identity:
    return Identity.objects.create(contact=contact, kind=kind, value=value)
