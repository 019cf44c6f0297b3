"""Writes to contacts and organisations."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import changes as contact_changes
from .models import (
    Contact,
    CustomerChange,
    Identity,
    IdentityKind,
    NameSource,
    Organisation,
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
    contact_changes.announce(
        contact_changes.CREATED, [c.pk for c, created in found.values() if created]
    )
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


# --- editing contacts and organisations in the desk ------------------------------


class IdentityTaken(ValidationError):
    """The address or number already belongs to another contact: offer the merge."""

    def __init__(self, kind: str, value: str, owner: Contact) -> None:
        self.kind, self.value, self.owner = kind, value, owner
        super().__init__(
            _("%(value)s already belongs to %(owner)s.") % {"value": value, "owner": owner},
            code="identity_taken",
        )


class DomainTaken(ValidationError):
    def __init__(self, domain: str, owner: Organisation) -> None:
        self.domain, self.owner = domain, owner
        super().__init__(
            _("The domain %(domain)s already belongs to %(owner)s.")
            % {"domain": domain, "owner": owner},
            code="domain_taken",
        )


def check_can_edit_customers(user) -> None:
    if user is not None and not user.can_reply_publicly:
        raise PermissionDenied(_("Light agents cannot change contacts or organisations."))


def normalised_identities(kind: str, values: Iterable[str]) -> list[str]:
    """Each value in the one canonical form identities are stored in, once, in order."""
    return list(dict.fromkeys(v for v in (normalise_identity(kind, x) for x in values) if v))


def identity_owners(
    contact: Contact | None, wanted: dict[str, Iterable[str]]
) -> list[IdentityTaken]:
    """The wanted identities that another contact already owns (one error each)."""
    problems = []
    for kind, values in wanted.items():
        normalised = normalised_identities(kind, values)
        taken = Identity.objects.filter(kind=kind, value__in=normalised).select_related("contact")
        if contact is not None:
            taken = taken.exclude(contact=contact)
        problems += [IdentityTaken(kind, i.value, i.contact) for i in taken]
    return problems


def _set_identities(contact: Contact, kind: str, values: Iterable[str]) -> None:
    """Make the contact's identities of this kind exactly ``values``.

    New ones go through `add_identity`, which stores the normalised form;
    kept ones keep their history (bounce marks).
    """
    wanted = normalised_identities(kind, values)
    current = {i.value: i for i in contact.identities.filter(kind=kind)}
    stale = [i.pk for value, i in current.items() if value not in wanted]
    if stale:
        Identity.objects.filter(pk__in=stale).delete()
    for value in wanted:
        if value not in current:
            add_identity(contact, kind, value)


@transaction.atomic
def save_contact(
    contact: Contact | None,
    *,
    actor,
    name: str,
    emails: Sequence[str] = (),
    phones: Sequence[str] = (),
    organisation: Organisation | None = None,
    language: str = "fi",
    notes: str = "",
    surveys_opt_out: bool | None = None,
) -> Contact:
    """Create (``contact`` None) or edit a contact with all its emails and numbers.

    Raises a ValidationError holding an `IdentityTaken` per address or
    number another contact has, so the desk can offer to merge them.
    """
    check_can_edit_customers(actor)
    problems = identity_owners(contact, {IdentityKind.EMAIL: emails, IdentityKind.PHONE: phones})
    if problems:
        raise ValidationError(problems)
    created = contact is None
    before = {} if contact is None else _contact_facts(contact)
    if contact is None:
        contact = Contact()
    if contact.pk is None or contact.name != name.strip()[:200]:
        # A name the agent typed: mail never renames the contact again.
        contact.name, contact.name_source = name.strip()[:200], NameSource.AGENT
    contact.organisation = organisation
    contact.language = language
    contact.notes = notes
    if surveys_opt_out is not None:
        contact.surveys_opt_out = surveys_opt_out
    contact.save()
    _set_identities(contact, IdentityKind.EMAIL, emails)
    _set_identities(contact, IdentityKind.PHONE, phones)
    _record_change(actor, created, before, _contact_facts(contact), contact=contact)
    if created:
        contact_changes.announce(contact_changes.CREATED, [contact.pk])
    return contact


class Keep:
    """An argument not given: the stored value stays."""


KEEP = Keep()


@transaction.atomic
def save_organisation(
    organisation: Organisation | None,
    *,
    actor,
    name: str,
    domains: Sequence[str] = (),
    notes: str = "",
    portal_shared: bool | None | Keep = KEEP,
) -> Organisation:
    """Create or edit an organisation and the email domains whose senders belong to it.

    ``portal_shared`` (colleagues read each other's requests in the portal;
    None: the help centre's default) is left as it is unless given, so an
    import that only knows names and domains never resets an admin's choice.
    """
    check_can_edit_customers(actor)
    wanted = list(dict.fromkeys(d.strip().lower().lstrip("@") for d in domains if d.strip()))
    taken = OrganisationDomain.objects.filter(domain__in=wanted).select_related("organisation")
    if organisation is not None:
        taken = taken.exclude(organisation=organisation)
    problems = [DomainTaken(d.domain, d.organisation) for d in taken]
    if problems:
        raise ValidationError(problems)
    created = organisation is None
    before = {} if organisation is None else _organisation_facts(organisation)
    if organisation is None:
        organisation = Organisation()
    organisation.name = name.strip()[:200]
    organisation.notes = notes
    if not isinstance(portal_shared, Keep):
        organisation.portal_shared = portal_shared
    organisation.save()
    organisation.domains.exclude(domain__in=wanted).delete()
    known = set(organisation.domains.values_list("domain", flat=True))
    for domain in wanted:
        if domain not in known:
            OrganisationDomain.objects.create(organisation=organisation, domain=domain)
    after = _organisation_facts(organisation)
    _record_change(actor, created, before, after, organisation=organisation)
    return organisation


# --- the history of edits -------------------------------------------------------

# Fields whose values are lists: their history is what was added and removed.
LIST_FIELDS = {"email", "phone", "domain"}


def _contact_facts(contact: Contact) -> dict:
    """What the contact's history compares: the words shown, not ids."""
    identities = list(contact.identities.order_by("pk").values_list("kind", "value"))
    return {
        "name": contact.name,
        "email": [v for k, v in identities if k == IdentityKind.EMAIL],
        "phone": [v for k, v in identities if k == IdentityKind.PHONE],
        "organisation": str(contact.organisation) if contact.organisation_id else "",
        "language": contact.language,
        "notes": contact.notes,
    }


def _organisation_facts(organisation: Organisation) -> dict:
    return {
        "name": organisation.name,
        "domain": list(organisation.domains.order_by("pk").values_list("domain", flat=True)),
        "notes": organisation.notes,
        # Stored as words the history can read back: "", "on", "off".
        "portal_shared": {None: "", True: "on", False: "off"}[organisation.portal_shared],
    }


def fact_changes(before: dict, after: dict) -> list[dict]:
    """The differences as history entries: one per changed field, one per list item."""
    entries: list[dict] = []
    for name, new in after.items():
        old = before.get(name, [] if name in LIST_FIELDS else "")
        if name in LIST_FIELDS:
            entries += [{"field": name, "new": v} for v in new if v not in old]
            entries += [{"field": name, "old": v} for v in old if v not in new]
        elif old != new:
            entries.append({"field": name, "old": old, "new": new})
    return entries


def _record_change(actor, created: bool, before: dict, after: dict, **subject) -> None:
    """One history row per save that changed something (a new one always has one)."""
    entries = fact_changes(before, after)
    if entries or created:
        CustomerChange.objects.create(
            actor=actor if getattr(actor, "pk", None) else None,
            created=created,
            changes=entries,
            **subject,
        )
