"""Forms of the agent desk. They validate input; the actions change state."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Model
from django.utils.translation import gettext_lazy as _

from tiski.accounts.models import Team, User
from tiski.customers.models import Contact
from tiski.customers.phones import to_e164
from tiski.tickets.field_inputs import custom_field_name, custom_form_field
from tiski.tickets.labels import priority_choices
from tiski.tickets.models import Channel, MessageKind, Priority, Status, TicketField, TicketType

from . import lookups
from .widgets import FastSelect


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        cleaned = [super(MultipleFileField, self).clean(f, initial) for f in files]
        limit = settings.MAX_UPLOAD_BYTES
        if sum(f.size for f in cleaned) > limit:
            raise ValidationError(
                _("Attachments may total at most %(mb)s MB.") % {"mb": limit // (1024 * 1024)}
            )
        return cleaned


class _RememberedChoices(forms.models.ModelChoiceIterator):
    """The options from the request's list (desk/lookups.py) instead of a query
    per select: the list is the queryset's rows, read once per request."""

    def __iter__(self):  # noqa: ANN204
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.field.rows():
            yield self.choice(obj)

    def __len__(self) -> int:
        return len(self.field.rows()) + (self.field.empty_label is not None)

    def __bool__(self) -> bool:
        return self.field.empty_label is not None or bool(self.field.rows())


class RememberedModelChoiceField(forms.ModelChoiceField):
    """A model choice whose options come from ``rows()`` (the same rows as
    ``queryset``, remembered for the request); a submitted value is still
    checked against the queryset."""

    iterator = _RememberedChoices

    def __init__(self, rows: Callable[[], list[Model]], **kwargs: Any) -> None:
        self.rows = rows
        super().__init__(**kwargs)


def agent_choices() -> forms.ModelChoiceField:
    return RememberedModelChoiceField(
        lookups.active_agents,
        queryset=User.objects.filter(is_active=True).order_by("name"),
        required=False,
        widget=FastSelect,
        label=_("Assignee"),
        empty_label=_("— Unassigned —"),
    )


def team_choices() -> forms.ModelChoiceField:
    return RememberedModelChoiceField(
        lookups.teams,
        queryset=Team.objects.order_by("name"),
        required=False,
        widget=FastSelect,
        label=_("Team"),
        empty_label=_("— No team —"),
    )


def type_choices() -> forms.ModelChoiceField:
    return RememberedModelChoiceField(
        lookups.active_types,
        queryset=TicketType.objects.filter(active=True),
        required=False,
        widget=FastSelect,
        label=_("Type"),
        empty_label=_("— No type —"),
    )


class TicketFieldsForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Status.choices, widget=FastSelect)
    type = forms.ModelChoiceField(queryset=TicketType.objects.none(), required=False)
    priority = forms.ChoiceField(label=_("Priority"), choices=priority_choices, widget=FastSelect)
    due_at = forms.DateTimeField(
        label=_("Due"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
    )
    assignee = forms.ModelChoiceField(queryset=User.objects.none(), required=False)
    team = forms.ModelChoiceField(queryset=Team.objects.none(), required=False)
    tags = forms.CharField(
        label=_("Tags"), required=False, help_text=_("Separate tags with commas.")
    )

    def __init__(self, *args, custom: list[TicketField] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type"] = type_choices()
        self.fields["assignee"] = agent_choices()
        self.fields["team"] = team_choices()
        # The ticket type's custom fields; their values are validated by the
        # action (`tickets.custom_fields`), so every path checks them alike.
        self.custom = list(custom)
        for field in self.custom:
            self.fields[custom_field_name(field)] = custom_form_field(field)
        # Which fields the page showed: one it did not (the type changed
        # meanwhile, or an admin added it) is left as it is, not emptied.
        self.fields["custom_shown"] = forms.CharField(
            required=False,
            widget=forms.HiddenInput,
            initial=",".join(f.key for f in self.custom),
        )
        # Closing is the time rules' job; agents solve.
        self.fields["status"].choices = [c for c in Status.choices if c[0] != Status.CLOSED]
        if self.initial.get("status") == Status.CLOSED:
            # A closed ticket is read-only: the panel shows what it is (not the
            # first choice, "New"), and nothing in it can be changed.
            self.fields["status"].choices = list(Status.choices)
            for field in self.fields.values():
                field.disabled = True

    def clean_tags(self) -> list[str]:
        raw = self.cleaned_data.get("tags") or ""
        return [t.strip() for t in raw.split(",") if t.strip()]

    def custom_values(self) -> dict[str, object]:
        shown = set((self.cleaned_data.get("custom_shown") or "").split(","))
        return {
            f.key: self.cleaned_data.get(custom_field_name(f))
            for f in self.custom
            if f.key in shown
        }


class EmailListField(forms.CharField):
    """Addresses separated by commas, semicolons or spaces, as people paste them."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 2000)
        super().__init__(*args, **kwargs)

    def clean(self, value):
        raw = super().clean(value) or ""
        addresses: list[str] = []
        for part in raw.replace(";", ",").replace(" ", ",").split(","):
            address = part.strip().strip("<>").lower()
            if not address or address in addresses:
                continue
            try:
                validate_email(address)
            except ValidationError as exc:
                raise ValidationError(
                    _("“%(address)s” is not an email address.") % {"address": address}
                ) from exc
            addresses.append(address)
        return addresses


def mailbox_choices() -> forms.ModelChoiceField:
    from tiski.connectors.models import Mailbox

    return forms.ModelChoiceField(
        queryset=Mailbox.objects.filter(active=True).order_by("address"),
        required=False,
        label=_("From"),
        empty_label=None,
    )


class ReplyForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[
            (MessageKind.PUBLIC, _("Public reply")),
            (MessageKind.INTERNAL, _("Internal note")),
        ]
    )
    text = forms.CharField(
        label=_("Message"), widget=forms.Textarea(attrs={"rows": 6}), required=False
    )
    status_after = forms.ChoiceField(
        label=_("Submit as"),
        required=False,
        choices=[("", _("— Keep status —"))]
        + [c for c in Status.choices if c[0] not in (Status.NEW, Status.CLOSED)],
    )
    attachments = MultipleFileField(label=_("Attachments"))
    cc = EmailListField(label=_("Cc"))
    bcc = EmailListField(label=_("Bcc"))
    mailbox = forms.ModelChoiceField(queryset=Contact.objects.none(), required=False)
    # The channel a public reply goes on, among the ticket's routes (the view
    # checks it against them): "" is the conversation's own.
    reply_channel = forms.CharField(required=False, max_length=20)
    last_seen_message = forms.IntegerField(required=False, widget=forms.HiddenInput)
    macro = forms.IntegerField(required=False, widget=forms.HiddenInput)
    confirm_collision = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mailbox"] = mailbox_choices()

    def clean(self):
        data = super().clean()
        if not (data.get("text") or "").strip() and not data.get("attachments"):
            raise ValidationError(_("Write a message or attach a file."))
        return data


class ForwardForm(forms.Form):
    to = EmailListField(label=_("Forward to"), required=True)
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    message = forms.IntegerField(required=False, widget=forms.HiddenInput)
    mailbox = forms.ModelChoiceField(queryset=Contact.objects.none(), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mailbox"] = mailbox_choices()


class NewTicketForm(forms.Form):
    requester = forms.ModelChoiceField(
        queryset=Contact.objects.all(), required=False, widget=forms.HiddenInput
    )
    new_name = forms.CharField(label=_("Name"), required=False, max_length=200)
    new_email = forms.CharField(label=_("Email"), required=False, max_length=320)
    new_phone = forms.CharField(label=_("Phone"), required=False, max_length=40)
    subject = forms.CharField(label=_("Subject"), max_length=300)
    text = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 6}))
    first_message_kind = forms.ChoiceField(
        label=_("The description is"),
        choices=[
            (MessageKind.CUSTOMER, _("the customer's words (e.g. a phone call)")),
            (MessageKind.INTERNAL, _("an internal note")),
        ],
        initial=MessageKind.CUSTOMER,
    )
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=[(c, label) for c, label in Channel.choices if c != Channel.API],
        initial=Channel.PHONE,
    )
    priority = forms.ChoiceField(
        label=_("Priority"), choices=priority_choices, initial=Priority.NORMAL
    )
    type = forms.ModelChoiceField(queryset=TicketType.objects.none(), required=False)
    team = forms.ModelChoiceField(queryset=Team.objects.none(), required=False)
    assignee = forms.ModelChoiceField(queryset=User.objects.none(), required=False)
    attachments = MultipleFileField(label=_("Attachments"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type"] = type_choices()
        self.fields["team"] = team_choices()
        self.fields["assignee"] = agent_choices()

    def clean_new_email(self) -> str:
        value = (self.cleaned_data.get("new_email") or "").strip()
        if value:
            validate_email(value)
        return value

    def clean_new_phone(self) -> str:
        value = (self.cleaned_data.get("new_phone") or "").strip()
        if not value:
            return ""
        e164 = to_e164(value)
        if e164 is None:
            raise ValidationError(
                _(
                    "“%(value)s” is not a phone number. "
                    "Write it as 040 123 4567 or +358 40 123 4567."
                )
                % {"value": value}
            )
        return e164

    def clean(self):
        data = super().clean()
        if not data.get("requester") and not (
            data.get("new_email") or data.get("new_phone") or data.get("new_name")
        ):
            raise ValidationError(_("Pick a contact or enter the new contact's details."))
        if not data.get("requester") and not (data.get("new_email") or data.get("new_phone")):
            raise ValidationError(_("A new contact needs an email address or a phone number."))
        return data


def contact_search(query: str, limit: int = 10):
    return (
        Contact.objects.matching(query)
        .select_related("organisation")
        .prefetch_related("identities")
        .order_by("name")[:limit]
    )
