"""Writes to contacts and organisations."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from .models import Contact, Identity, IdentityKind, OrganisationDomain, normalise_identity


def find_contact(kind: str, value: str) -> Contact | None:
    identity = (
        Identity.objects.select_related("contact")
        .filter(kind=kind, value=normalise_identity(kind, value))
        .first()
    )
    return identity.contact if identity else None


def organisation_for_email(address: str):
    domain = address.rpartition("@")[2].lower()
    link = OrganisationDomain.objects.select_related("organisation").filter(domain=domain).first()
    return link.organisation if link else None


def get_or_create_contact(
    kind: str, value: str, *, name: str = "", language: str = "fi", organisation=None
) -> tuple[Contact, bool]:
    """The contact that owns this identity, created with it when unknown.

    Safe when two messages from a new person arrive at once: the unique
    identity decides, and the loser of the race reads the winner's contact.
    """
    existing = find_contact(kind, value)
    if existing:
        return existing, False
    if organisation is None and kind == IdentityKind.EMAIL:
        organisation = organisation_for_email(value)
    try:
        with transaction.atomic():
            contact = Contact.objects.create(
                name=name.strip(), language=language, organisation=organisation
            )
            Identity.objects.create(contact=contact, kind=kind, value=value)
            return contact, True
    except IntegrityError:
        contact = find_contact(kind, value)
        if contact is None:
            raise
        return contact, False


def add_identity(contact: Contact, kind: str, value: str) -> Identity:
    return Identity.objects.create(contact=contact, kind=kind, value=value)
