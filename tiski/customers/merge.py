"""Merging duplicate contacts, suggesting merges, and undoing a merge.

`score_pair` is pure: it takes two contacts' facts and says whether and why
they look like one person. The rest reads candidates from the database and
moves rows. A merge moves the duplicate's identities to the kept contact,
then asks every registered participant (`merge_participants`: the tickets
app for requesters, CCs and message authors, the phone app for calls) to
repoint its own rows through its own write path, deletes the duplicate,
and records all of it in a `ContactMerge`; undo re-creates the duplicate
with its old id, moves the identities back and hands each participant what
it moved. This module imports nothing above the customers app.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import changes as contact_changes
from . import merge_participants
from .models import Contact, ContactMerge, Identity, IdentityKind
from .phones import lookup_forms, to_e164

PHONE_KINDS = (IdentityKind.PHONE, IdentityKind.WHATSAPP)
SCORE_SAME_PHONE = 90
SCORE_SAME_EMAIL = 95
SCORE_NAME_AND_ORGANISATION = 60
SUGGEST_FROM = 50


# --- pure scoring -----------------------------------------------------------


@dataclass(frozen=True)
class ContactFacts:
    id: int
    name: str = ""
    organisation_id: int | None = None
    emails: frozenset[str] = frozenset()
    phones: frozenset[str] = frozenset()  # E.164


@dataclass(frozen=True)
class MergeScore:
    score: int
    reasons: tuple[str, ...]


def normalise_name(name: str) -> str:
    return " ".join(name.casefold().split())


def score_pair(a: ContactFacts, b: ContactFacts) -> MergeScore | None:
    """How sure we are that ``a`` and ``b`` are one person, with reasons; None: not at all.

    A shared phone number (compared in E.164, so "040 123 4567" and
    "+358401234567" are one) is strong evidence. The same name in the same
    organisation with different emails is the classic "work and personal
    address" duplicate: worth asking about, not certain. A name alone is
    never enough: there are many Matti Virtanens.
    """
    if a.id == b.id:
        return None
    score = 0
    reasons: list[str] = []
    if a.emails & b.emails:
        score = max(score, SCORE_SAME_EMAIL)
        reasons.append("same_email")
    if a.phones & b.phones:
        score = max(score, SCORE_SAME_PHONE)
        reasons.append("same_phone")
    name_a, name_b = normalise_name(a.name), normalise_name(b.name)
    if (
        name_a
        and name_a == name_b
        and a.organisation_id is not None
        and a.organisation_id == b.organisation_id
        and a.emails != b.emails
    ):
        score = max(score, SCORE_NAME_AND_ORGANISATION)
        if reasons:
            score = min(100, score + 5)  # both signals: a little surer
        reasons.append("same_name_and_organisation")
    if score < SUGGEST_FROM:
        return None
    return MergeScore(score, tuple(reasons))


def reason_label(reason: str) -> str:
    return {
        "same_email": _("same email address"),
        "same_phone": _("same phone number"),
        "same_name_and_organisation": _("same name and organisation"),
    }.get(reason, reason)


# --- reading candidates -------------------------------------------------------


def _e164(value: str) -> str:
    return to_e164(value) or value


def facts_for(contacts: Iterable[Contact]) -> dict[int, ContactFacts]:
    contacts = list(contacts)
    idents: dict[int, list[Identity]] = defaultdict(list)
    for identity in Identity.objects.filter(contact__in=contacts):
        idents[identity.contact_id].append(identity)
    return {
        c.pk: ContactFacts(
            id=c.pk,
            name=c.name,
            organisation_id=c.organisation_id,
            emails=frozenset(i.value for i in idents[c.pk] if i.kind == IdentityKind.EMAIL),
            phones=frozenset(_e164(i.value) for i in idents[c.pk] if i.kind in PHONE_KINDS),
        )
        for c in contacts
    }


@dataclass(frozen=True)
class Suggestion:
    contact: Contact
    other: Contact
    score: int
    reasons: tuple[str, ...]

    @property
    def reason_labels(self) -> list[str]:
        return [reason_label(r) for r in self.reasons]


def suggestions_for(contact: Contact, limit: int = 10) -> list[Suggestion]:
    """Contacts that look like the same person as ``contact``, surest first."""
    mine = facts_for([contact])[contact.pk]
    forms = {form for phone in mine.phones for form in lookup_forms(phone)}
    candidate_ids = set(
        Identity.objects.filter(kind__in=PHONE_KINDS, value__in=forms)
        .exclude(contact=contact)
        .values_list("contact_id", flat=True)
    )
    if contact.name.strip() and contact.organisation_id:
        candidate_ids |= set(
            Contact.objects.filter(
                name__iexact=contact.name.strip(), organisation_id=contact.organisation_id
            )
            .exclude(pk=contact.pk)
            .values_list("pk", flat=True)[:50]
        )
    others = list(Contact.objects.filter(pk__in=candidate_ids).select_related("organisation"))
    facts = facts_for(others)
    found = []
    for other in others:
        result = score_pair(mine, facts[other.pk])
        if result:
            found.append(Suggestion(contact, other, result.score, result.reasons))
    found.sort(key=lambda s: (-s.score, s.other.pk))
    return found[:limit]


def all_suggestions(limit: int = 100) -> list[Suggestion]:
    """Pairs across the whole desk: numbers equal in E.164, names equal within an organisation."""
    groups: dict[str, set[int]] = defaultdict(set)
    for contact_id, value in (
        Identity.objects.filter(kind__in=PHONE_KINDS)
        .values_list("contact_id", "value")
        .iterator(chunk_size=2000)
    ):
        groups["phone:" + _e164(value)].add(contact_id)
    for contact_id, name, org_id in (
        Contact.objects.exclude(name="")
        .filter(organisation__isnull=False)
        .values_list("pk", "name", "organisation_id")
        .iterator(chunk_size=2000)
    ):
        groups[f"name:{org_id}:{normalise_name(name)}"].add(contact_id)
    pairs: set[tuple[int, int]] = set()
    for ids in groups.values():
        ordered = sorted(ids)
        for i, a in enumerate(ordered):
            for b in ordered[i + 1 : i + 6]:  # a group of hundreds is not one person
                pairs.add((a, b))
    contacts = {c.pk: c for c in Contact.objects.filter(pk__in={x for p in pairs for x in p})}
    facts = facts_for(contacts.values())
    found = []
    for a, b in pairs:
        result = score_pair(facts[a], facts[b])
        if result:
            found.append(Suggestion(contacts[a], contacts[b], result.score, result.reasons))
    found.sort(key=lambda s: (-s.score, s.contact.pk, s.other.pk))
    return found[:limit]


# --- merge and undo -------------------------------------------------------------


def check_can_merge(user) -> None:
    if not user.can_reply_publicly:
        raise PermissionDenied(_("Light agents cannot merge contacts."))


@transaction.atomic
def merge_contacts(source: Contact, target: Contact, *, actor):
    """Merge ``source`` (the duplicate) into ``target``; returns the ContactMerge."""
    if actor is not None:
        check_can_merge(actor)
    if source.pk == target.pk:
        raise ValidationError(_("A contact cannot be merged into itself."))
    source = Contact.objects.select_for_update().get(pk=source.pk)
    target = Contact.objects.select_for_update().get(pk=target.pk)
    moved: dict = {
        "identities": list(source.identities.values_list("pk", flat=True)),
        "target_filled": {},
    }
    snapshot = {
        "name": source.name,
        "name_source": source.name_source,
        "language": source.language,
        "organisation_id": source.organisation_id,
        "notes": source.notes,
        "created_at": source.created_at.isoformat(),
    }
    # The kept contact takes what it lacks from the duplicate; undo puts it back.
    if not target.name and source.name:
        moved["target_filled"]["name"] = target.name
        moved["target_filled"]["name_source"] = target.name_source
        target.name, target.name_source = source.name, source.name_source
    if target.organisation_id is None and source.organisation_id is not None:
        moved["target_filled"]["organisation_id"] = None
        target.organisation_id = source.organisation_id
    target.save()

    Identity.objects.filter(pk__in=moved["identities"]).update(contact=target)
    moved.update(merge_participants.merge_all(source, target, actor=actor))
    source_id = source.pk
    source.delete()
    contact_changes.announce(contact_changes.MERGED, [target.pk], source_id=source_id)
    return ContactMerge.objects.create(
        target=target, source_id=source_id, source_snapshot=snapshot, moved=moved, actor=actor
    )


@transaction.atomic
def undo_merge(merge, *, actor) -> Contact:
    """Re-create the merged contact with its old id and move its rows back."""
    from datetime import datetime

    if actor is not None:
        check_can_merge(actor)
    merge = ContactMerge.objects.select_for_update().get(pk=merge.pk)
    if merge.undone_at is not None:
        raise ValidationError(_("This merge was already undone."))
    if Contact.objects.filter(pk=merge.source_id).exists():
        raise ValidationError(_("The merged contact exists again; nothing to undo."))
    snap = merge.source_snapshot
    target = Contact.objects.select_for_update().get(pk=merge.target_id)
    source = Contact.objects.create(
        pk=merge.source_id,
        name=snap.get("name", ""),
        name_source=snap.get("name_source", ""),
        language=snap.get("language", "fi"),
        organisation_id=snap.get("organisation_id"),
        notes=snap.get("notes", ""),
    )
    if snap.get("created_at"):
        Contact.objects.filter(pk=source.pk).update(
            created_at=datetime.fromisoformat(snap["created_at"])
        )
    moved = merge.moved
    for field, value in moved.get("target_filled", {}).items():
        setattr(target, field, value)
    target.save()
    Identity.objects.filter(pk__in=moved["identities"], contact=target).update(contact=source)
    merge_participants.undo_all(source, target, moved, actor=actor)
    merge.undone_at = timezone.now()
    merge.undone_by = actor
    merge.save(update_fields=["undone_at", "undone_by"])
    return source
