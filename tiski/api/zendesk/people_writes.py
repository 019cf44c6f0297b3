"""Creating and changing end users and organizations, through ``customers.actions``.

An end user is a Tiski contact: ``POST /users`` with ``role`` ``end-user``
(or none) makes one, with its email address and phone number as
identities. Agents and admins are not made or changed here: a Tiski agent
is invited by an admin under Settings → Agents, which sets their teams and
role and sends the set-password link, and a token must not be a way around
that; such a request is refused with a reason (422 on ``role``, 403 for an
agent's id). ``create_or_update`` finds the end user by email address
(Tiski keeps no external ids) and the organization by id, else by name.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _

from tiski.customers.actions import DomainTaken, IdentityTaken, save_contact, save_organisation
from tiski.customers.models import Contact, IdentityKind, Organisation, normalise_identity

from . import mapping, shapes
from .endpoint import api_base, body, endpoint
from .errors import ZendeskError, invalid, not_found

LANGUAGES = ("fi", "en")


def _text(raw: dict[str, Any], name: str, current: str = "") -> str:
    if name not in raw or raw[name] is None:
        return current
    if not isinstance(raw[name], str | int):
        raise invalid(name, _("Give text."))
    return str(raw[name]).strip()


def _language(raw: dict[str, Any], current: str) -> str:
    # Zendesk's locales are like "fi" or "en-US"; Tiski speaks Finnish and English.
    locale = str(raw.get("locale") or "").lower()[:2]
    return locale if locale in LANGUAGES else current


def _organisation(raw: dict[str, Any], current: Organisation | None) -> Organisation | None:
    if "organization_id" not in raw:
        return current
    if raw["organization_id"] is None:
        return None
    found = Organisation.objects.filter(pk=raw["organization_id"]).first()
    if found is None or isinstance(raw["organization_id"], bool):
        raise invalid("organization_id", _("No such organization."))
    return found


def _added(values: list[str], wanted: str, kind: str) -> list[str]:
    """The contact's addresses plus ``wanted``: Zendesk adds an email given on an
    update as a second address, and the first one stays the primary."""
    if not wanted:
        return values
    canonical = normalise_identity(kind, wanted) or wanted
    return values if canonical in values else [*values, canonical]


def _refused(exc: ValidationError) -> ZendeskError:
    details: dict[str, list[str]] = {}
    for problem in exc.error_list:
        if isinstance(problem, IdentityTaken):
            field = "email" if problem.kind == IdentityKind.EMAIL else "phone"
            details.setdefault(field, []).append(
                _("%(value)s is already being used by another user.") % {"value": problem.value}
            )
        elif isinstance(problem, DomainTaken):
            details.setdefault("domain_names", []).append(
                _("%(domain)s is already used by another organization.")
                % {"domain": problem.domain}
            )
        else:
            details.setdefault("base", []).extend(problem.messages)
    return ZendeskError(422, "RecordInvalid", _("Record validation errors"), details)


def save_end_user(contact: Contact | None, raw: dict[str, Any], request: HttpRequest) -> Contact:
    if raw.get("role") not in (None, "end-user"):
        raise invalid(
            "role",
            _("Agents and admins are invited in Tiski under Settings → Agents, not made here."),
        )
    name = _text(raw, "name", contact.name if contact else "")
    email, phone = _text(raw, "email"), _text(raw, "phone")
    if not name and not email:
        raise invalid("name", _("Give a name or an email address."))
    emails = contact.identity_values(IdentityKind.EMAIL) if contact else []
    phones = contact.identity_values(IdentityKind.PHONE) if contact else []
    try:
        return save_contact(
            contact,
            actor=request.user,
            name=name or email,
            emails=_added(emails, email, IdentityKind.EMAIL),
            phones=_added(phones, phone, IdentityKind.PHONE),
            organisation=_organisation(raw, contact.organisation if contact else None),
            language=_language(raw, contact.language if contact else "fi"),
            notes=_text(raw, "notes", contact.notes if contact else ""),
        )
    except ValidationError as exc:
        raise _refused(exc) from exc


def _user_answer(contact: Contact, request: HttpRequest, status: int) -> JsonResponse:
    fresh = shapes.contact_queryset(Contact.objects.filter(pk=contact.pk)).get()
    return JsonResponse({"user": shapes.end_user(fresh, api_base(request))}, status=status)


def create_user(request: HttpRequest) -> JsonResponse:
    return _user_answer(save_end_user(None, body(request, "user"), request), request, 201)


def update_user(request: HttpRequest, user_id: int) -> JsonResponse:
    if not mapping.is_contact_id(user_id):
        raise ZendeskError(
            403, "Forbidden", _("Agents are changed in Tiski under Settings → Agents.")
        )
    contact = Contact.objects.prefetch_related("identities").filter(pk=mapping.contact_pk(user_id))
    found = contact.first()
    if found is None:
        raise not_found()
    return _user_answer(save_end_user(found, body(request, "user"), request), request, 200)


@endpoint("POST")
def create_or_update_user(request: HttpRequest):
    """The end user with this email address changed, or a new one (201)."""
    raw = body(request, "user")
    email = _text(raw, "email")
    canonical = normalise_identity(IdentityKind.EMAIL, email) if email else ""
    found = (
        Contact.objects.prefetch_related("identities")
        .filter(identities__kind=IdentityKind.EMAIL, identities__value=canonical)
        .first()
        if canonical
        else None
    )
    contact = save_end_user(found, raw, request)
    return _user_answer(contact, request, 200 if found else 201)


def save_organization(
    organisation: Organisation | None, raw: dict[str, Any], request: HttpRequest
) -> Organisation:
    name = _text(raw, "name", organisation.name if organisation else "")
    if not name:
        raise invalid("name", _("Give a name."))
    clash = Organisation.objects.filter(name__iexact=name)
    if organisation is not None:
        clash = clash.exclude(pk=organisation.pk)
    if clash.exists():
        raise invalid("name", _("Another organization has this name."))
    domains = raw.get("domain_names")
    if domains is None:
        domains = (
            list(organisation.domains.values_list("domain", flat=True)) if organisation else []
        )
    if not isinstance(domains, list) or not all(isinstance(d, str) for d in domains):
        raise invalid("domain_names", _("Give a list of domains."))
    try:
        return save_organisation(
            organisation,
            actor=request.user,
            name=name,
            domains=domains,
            notes=_text(raw, "notes", organisation.notes if organisation else ""),
        )
    except ValidationError as exc:
        raise _refused(exc) from exc


def _organization_answer(org: Organisation, request: HttpRequest, status: int) -> JsonResponse:
    fresh = shapes.organization_queryset(Organisation.objects.filter(pk=org.pk)).get()
    return JsonResponse(
        {"organization": shapes.organization(fresh, api_base(request))}, status=status
    )


def create_organization(request: HttpRequest) -> JsonResponse:
    raw = body(request, "organization")
    return _organization_answer(save_organization(None, raw, request), request, 201)


def update_organization(request: HttpRequest, org_id: int) -> JsonResponse:
    found = Organisation.objects.filter(pk=org_id).first()
    if found is None:
        raise not_found()
    raw = body(request, "organization")
    return _organization_answer(save_organization(found, raw, request), request, 200)


@endpoint("POST")
def create_or_update_organization(request: HttpRequest):
    """The organization with this ``id`` (else this exact name) changed, or a new one (201)."""
    raw = body(request, "organization")
    found = None
    if isinstance(raw.get("id"), int) and not isinstance(raw["id"], bool):
        found = Organisation.objects.filter(pk=raw["id"]).first()
    if found is None and _text(raw, "name"):
        found = Organisation.objects.filter(name__iexact=_text(raw, "name")).first()
    org = save_organization(found, raw, request)
    return _organization_answer(org, request, 200 if found else 201)
