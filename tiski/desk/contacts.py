"""Creating and editing contacts and organisations in the desk.

Forms check the shape of what was typed; `customers.actions.save_contact` /
`save_organisation` store it, normalising every address and number, and
refuse one that another contact owns. That refusal is shown in place as a
sentence with a button to merge the two contacts.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from tiski.customers.actions import (
    DomainTaken,
    IdentityTaken,
    check_can_edit_customers,
    save_contact,
    save_organisation,
)
from tiski.customers.models import Contact, Organisation
from tiski.knowledge.models import HelpCentreSettings

MAX_VALUES = 20


class ListInput(forms.Widget):
    """Several inputs of one name (rendered by the template), read back as a list."""

    def value_from_datadict(self, data, files, name):
        values = data.getlist(name) if hasattr(data, "getlist") else data.get(name, [])
        return [v for v in values if v.strip()][:MAX_VALUES]


class ListField(forms.Field):
    widget = ListInput

    def __init__(self, *args, item_validator=None, **kwargs):
        kwargs.setdefault("required", False)
        self.item_validator = item_validator
        super().__init__(*args, **kwargs)

    def to_python(self, value) -> list[str]:
        return [v.strip() for v in (value or []) if v.strip()]

    def validate(self, value) -> None:
        super().validate(value)
        if self.item_validator:
            for item in value:
                self.item_validator(item)


def _validate_email(value: str) -> None:
    try:
        validate_email(value)
    except ValidationError as exc:
        raise ValidationError(_("%(value)s is not an email address.") % {"value": value}) from exc


def _validate_phone(value: str) -> None:
    if sum(ch.isdigit() for ch in value) < 5:
        raise ValidationError(
            _("%(value)s is not a phone number: it needs at least five digits.") % {"value": value}
        )


class ContactForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    emails = ListField(label=gettext_lazy("Email addresses"), item_validator=_validate_email)
    phones = ListField(label=gettext_lazy("Phone numbers"), item_validator=_validate_phone)
    organisation = forms.ModelChoiceField(
        label=gettext_lazy("Organisation"),
        queryset=Organisation.objects.order_by("name"),
        required=False,
        empty_label=gettext_lazy("— No organisation —"),
    )
    language = forms.ChoiceField(
        label=gettext_lazy("Language"), choices=Contact._meta.get_field("language").choices
    )
    notes = forms.CharField(
        label=gettext_lazy("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    surveys_opt_out = forms.BooleanField(
        label=gettext_lazy("Send no satisfaction surveys to this contact"), required=False
    )


class OrganisationForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    domains = ListField(label=gettext_lazy("Email domains"))
    notes = forms.CharField(
        label=gettext_lazy("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    portal_shared = forms.ChoiceField(
        label=gettext_lazy("Colleagues see each other's requests in the customer portal"),
        required=False,
        choices=[
            ("", gettext_lazy("As the help centre's default")),
            ("on", gettext_lazy("Yes")),
            ("off", gettext_lazy("No")),
        ],
        widget=forms.Select(attrs={"aria-describedby": "portal-shared-help"}),
    )

    def clean_portal_shared(self) -> bool | None:
        return {"on": True, "off": False}.get(self.cleaned_data.get("portal_shared") or "")

    def clean_domains(self) -> list[str]:
        domains = [d.lower().lstrip("@") for d in self.cleaned_data["domains"]]
        for domain in domains:
            if "." not in domain or " " in domain or "@" in domain:
                raise ValidationError(
                    _("%(value)s is not a domain like example.fi.") % {"value": domain}
                )
        return domains


def _taken_errors(exc: ValidationError) -> tuple[list[IdentityTaken | DomainTaken], list[str]]:
    """Split an action's refusal into owned identities/domains (to offer merges) and the rest."""
    taken = [e for e in exc.error_list if isinstance(e, IdentityTaken | DomainTaken)]
    rest = [m for e in exc.error_list if e not in taken for m in e.messages]
    return taken, rest


def _contact_form_page(request, contact, form, taken=(), status=200) -> HttpResponse:
    data = form.data if form.is_bound else None
    emails = data.getlist("emails") if data is not None else (contact.emails if contact else [])
    phones = data.getlist("phones") if data is not None else (contact.phones if contact else [])
    return render(
        request,
        "desk/contact_form.html",
        {
            "contact": contact,
            "form": form,
            "emails": [v for v in emails if v.strip()] + [""],
            "phones": [v for v in phones if v.strip()] + [""],
            "taken": taken,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def contact_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    contact = None
    if pk is not None:
        contact = get_object_or_404(
            Contact.objects.select_related("organisation").prefetch_related("identities"), pk=pk
        )
    try:
        check_can_edit_customers(request.user)
    except PermissionDenied as exc:
        flash.error(request, str(exc))
        return redirect("desk:contact", pk=pk) if pk else redirect("desk:contacts")
    if request.method != "POST":
        initial = {"language": "fi"}
        if contact is not None:
            initial = {
                "name": contact.name,
                "organisation": contact.organisation_id,
                "language": contact.language,
                "notes": contact.notes,
                "surveys_opt_out": contact.surveys_opt_out,
            }
        elif request.GET.get("organisation", "").isdigit():
            initial["organisation"] = int(request.GET["organisation"])
        return _contact_form_page(request, contact, ContactForm(initial=initial))
    form = ContactForm(request.POST)
    if not form.is_valid():
        return _contact_form_page(request, contact, form, status=400)
    data = form.cleaned_data
    try:
        saved = save_contact(
            contact,
            actor=request.user,
            name=data["name"],
            emails=data["emails"],
            phones=data["phones"],
            organisation=data["organisation"],
            language=data["language"],
            notes=data["notes"],
            surveys_opt_out=data["surveys_opt_out"],
        )
    except ValidationError as exc:
        taken, rest = _taken_errors(exc)
        for message in rest:
            form.add_error(None, message)
        return _contact_form_page(request, contact, form, taken=taken, status=400)
    flash.success(request, _("Contact saved.") if contact else _("Contact created."))
    return redirect("desk:contact", pk=saved.pk)


@login_required
@require_http_methods(["GET", "POST"])
def organisation_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    organisation = get_object_or_404(Organisation, pk=pk) if pk is not None else None
    try:
        check_can_edit_customers(request.user)
    except PermissionDenied as exc:
        flash.error(request, str(exc))
        return redirect("desk:organisation", pk=pk) if pk else redirect("desk:organisations")
    taken: list = []
    status = 200
    if request.method == "POST":
        form = OrganisationForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                saved = save_organisation(
                    organisation,
                    actor=request.user,
                    name=data["name"],
                    domains=data["domains"],
                    notes=data["notes"],
                    portal_shared=data["portal_shared"],
                )
            except ValidationError as exc:
                taken, rest = _taken_errors(exc)
                for message in rest:
                    form.add_error(None, message)
            else:
                done = _("Organisation saved.") if organisation else _("Organisation created.")
                flash.success(request, done)
                return redirect("desk:organisation", pk=saved.pk)
        status = 400
        domains = request.POST.getlist("domains")
    else:
        form = OrganisationForm(
            initial=(
                {
                    "name": organisation.name,
                    "notes": organisation.notes,
                    "portal_shared": {True: "on", False: "off"}.get(organisation.portal_shared, ""),
                }
                if organisation
                else {}
            )
        )
        domains = (
            list(organisation.domains.values_list("domain", flat=True)) if organisation else []
        )
    return render(
        request,
        "desk/organisation_form.html",
        {
            "organisation": organisation,
            "form": form,
            "domains": [d for d in domains if d.strip()] + [""],
            "taken": taken,
            "portal_default": HelpCentreSettings.load().organisation_requests,
        },
        status=status,
    )
