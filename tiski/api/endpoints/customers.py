"""Contacts with their identities, and organisations: through `customers.actions`."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from ninja import Query, Router

from tiski.customers.actions import IdentityTaken, save_contact
from tiski.customers.models import Contact, IdentityKind, Organisation
from tiski.search.service import search_contacts

from .. import pagination, serializers
from ..errors import ApiError
from ..schemas import ContactIn, ContactOut, ContactPage, ContactPatch, Error, OrganisationOut
from . import common

router = Router(tags=["contacts"])

NEWEST_FIRST = pagination.Order("updated_at", descending=True)
OLDEST_FIRST = pagination.Order("updated_at", descending=False)


def _contact(contact_id: int) -> Contact:
    found = Contact.objects.prefetch_related("identities").filter(pk=contact_id).first()
    if found is None:
        raise Http404(_("No such contact."))
    return found


def _saved(contact: Contact | None, request: HttpRequest, values: dict) -> Contact:
    try:
        saved = save_contact(contact, actor=request.user, **values)
    except IdentityTaken as exc:
        raise _taken([exc]) from exc
    except ValidationError as exc:
        taken = [e for e in exc.error_list if isinstance(e, IdentityTaken)]
        if taken:
            raise _taken(taken) from exc
        raise
    return _contact(saved.pk)


def _taken(problems: list[IdentityTaken]) -> ApiError:
    fields: dict[str, list[str]] = {}
    for problem in problems:
        field = "emails" if problem.kind == IdentityKind.EMAIL else "phones"
        fields.setdefault(field, []).append(
            _("%(value)s already belongs to contact %(id)s.")
            % {"value": problem.value, "id": problem.owner.pk}
        )
    return ApiError(
        409, "identity_taken", _("An address or number belongs to another contact."), fields
    )


@router.get("/contacts", response={200: ContactPage, 400: Error})
def list_contacts(
    request: HttpRequest,
    q: str | None = Query(None, description="A name, address or number."),
    updated_since: datetime | None = None,
    cursor: str | None = None,
    limit: int = pagination.DEFAULT_LIMIT,
):
    """Contacts, newest change first; with ``updated_since`` oldest first (export)."""
    qs = Contact.objects.prefetch_related("identities")
    if q:
        ids = [c.pk for c in search_contacts(q, limit=pagination.MAX_LIMIT)]
        qs = qs.filter(pk__in=ids)
    order = NEWEST_FIRST
    if updated_since is not None:
        qs, order = qs.filter(updated_at__gte=updated_since), OLDEST_FIRST
    rows, next_cursor = pagination.page(qs, order, cursor, limit)
    return common.page_body([serializers.contact_dict(c) for c in rows], next_cursor)


@router.get("/contacts/{int:contact_id}", response={200: ContactOut, 404: Error})
def read_contact(request: HttpRequest, contact_id: int):
    return serializers.contact_dict(_contact(contact_id))


@router.post("/contacts", response={201: ContactOut, 403: Error, 409: Error, 422: Error})
def create_contact(request: HttpRequest, payload: ContactIn):
    """A new contact with its email addresses and phone numbers."""
    contact = _saved(
        None,
        request,
        {
            "name": payload.name,
            "emails": payload.emails,
            "phones": payload.phones,
            "organisation": common.organisation_or_none(payload.organisation_id),
            "language": payload.language,
            "notes": payload.notes,
        },
    )
    return JsonResponse(
        ContactOut.model_validate(serializers.contact_dict(contact)).model_dump(),
        status=201,
    )


@router.patch(
    "/contacts/{int:contact_id}", response={200: ContactOut, 403: Error, 404: Error, 409: Error}
)
def update_contact(request: HttpRequest, contact_id: int, payload: ContactPatch):
    """Change the fields given; ``emails`` and ``phones`` replace the lists."""
    contact = _contact(contact_id)
    given = payload.model_dump(exclude_unset=True)
    identities = list(contact.identities.all())
    values = {
        "name": given.get("name") if given.get("name") is not None else contact.name,
        "emails": given.get("emails")
        if given.get("emails") is not None
        else [i.value for i in identities if i.kind == IdentityKind.EMAIL],
        "phones": given.get("phones")
        if given.get("phones") is not None
        else [i.value for i in identities if i.kind == IdentityKind.PHONE],
        "organisation": common.organisation_or_none(given["organisation_id"])
        if "organisation_id" in given
        else contact.organisation,
        "language": given.get("language") or contact.language,
        "notes": given.get("notes") if given.get("notes") is not None else contact.notes,
    }
    return serializers.contact_dict(_saved(contact, request, values))


def _organisation_dict(org: Organisation) -> dict:
    return {
        "id": org.pk,
        "name": org.name,
        "notes": org.notes,
        "domains": sorted(d.domain for d in org.domains.all()),
        "created_at": org.created_at,
    }


@router.get("/organisations", response=list[OrganisationOut], tags=["organisations"])
def list_organisations(request: HttpRequest):
    return [_organisation_dict(o) for o in Organisation.objects.prefetch_related("domains")]


@router.get(
    "/organisations/{int:org_id}",
    response={200: OrganisationOut, 404: Error},
    tags=["organisations"],
)
def read_organisation(request: HttpRequest, org_id: int):
    org = Organisation.objects.prefetch_related("domains").filter(pk=org_id).first()
    if org is None:
        raise Http404(_("No such organisation."))
    return _organisation_dict(org)
