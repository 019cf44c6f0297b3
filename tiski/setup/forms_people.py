"""Forms of the people sections: inviting and editing agents, teams."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from tiski.accounts.models import Role, Team, User
from tiski.core import desk
from tiski.tickets.models import Tag

# Languages an agent can serve customers in (routing matches the
# customer's language); more than the desk's own UI languages.
SKILL_LANGUAGES = [
    ("fi", _("Finnish")),
    ("sv", _("Swedish")),
    ("en", _("English")),
    ("et", _("Estonian")),
    ("ru", _("Russian")),
    ("de", _("German")),
]
SKILL_LANGUAGE_CODES = {code for code, _label in SKILL_LANGUAGES}


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def _teams_field() -> forms.ModelMultipleChoiceField:
    return forms.ModelMultipleChoiceField(
        label=_("Teams"),
        queryset=Team.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Email"))
    name = forms.CharField(label=_("Name"), max_length=150)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.AGENT)
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["teams"] = _teams_field()
        self.fields["language"].initial = desk.default_language()[:2]

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        existing = User.objects.filter(email__iexact=email).first()
        if existing is not None:
            raise ValidationError(
                _("%(email)s already has an account (%(name)s)."),
                params={"email": email, "name": existing},
            )
        return email


class AgentForm(forms.ModelForm):
    skill_languages = forms.MultipleChoiceField(
        label=_("Languages they serve customers in"),
        choices=SKILL_LANGUAGES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    skill_tags = forms.CharField(
        label=_("Other skills (tags)"),
        required=False,
        help_text=_(
            "Comma-separated, e.g. invoicing, returns. Tickets with these tags "
            "go to agents who have them when routing picks an agent."
        ),
    )

    class Meta:
        model = User
        fields = [
            "name",
            "role",
            "language",
            "is_active",
            "out_of_office_from",
            "out_of_office_until",
            "absence_delegate",
        ]
        widgets = {
            "out_of_office_from": DateTimeLocalInput(),
            "out_of_office_until": DateTimeLocalInput(),
        }
        help_texts = {
            "is_active": _("A deactivated agent cannot log in; their tickets stay as they are."),
        }

    def __init__(self, *args: Any, editor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.editor = editor
        self.fields["teams"] = _teams_field()
        skills = list(self.instance.skills or [])
        self.initial.setdefault("teams", list(self.instance.teams.values_list("pk", flat=True)))
        self.initial.setdefault("skill_languages", [s for s in skills if s in SKILL_LANGUAGE_CODES])
        self.initial.setdefault(
            "skill_tags", ", ".join(s for s in skills if s not in SKILL_LANGUAGE_CODES)
        )
        self.fields["absence_delegate"].queryset = User.objects.filter(is_active=True).exclude(
            pk=self.instance.pk
        )
        self.fields["absence_delegate"].empty_label = "—"
        self.fields["out_of_office_from"].help_text = _("Empty: present.")
        self.fields["out_of_office_until"].help_text = _("Empty: until further notice.")

    def clean_role(self) -> str:
        role = self.cleaned_data["role"]
        if self.instance.pk == self.editor.pk and role != Role.ADMIN and self.editor.is_admin:
            raise ValidationError(
                _("You cannot remove your own admin role. Ask another admin to do it.")
            )
        return role

    def clean_is_active(self) -> bool:
        active = self.cleaned_data["is_active"]
        if self.instance.pk == self.editor.pk and not active:
            raise ValidationError(_("You cannot deactivate yourself."))
        return active

    def clean_skill_tags(self) -> list[str]:
        names = [Tag.normalise(n) for n in self.cleaned_data["skill_tags"].split(",")]
        return sorted({n for n in names if n})

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("out_of_office_from"), data.get("out_of_office_until")
        if end and not start:
            self.add_error(
                "out_of_office_from", _("Say when the absence starts, not only when it ends.")
            )
        elif start and end and end <= start:
            self.add_error("out_of_office_until", _("The absence must end after it starts."))
        return data

    def save(self, commit: bool = True) -> User:
        user = super().save(commit=False)
        user.skills = [*self.cleaned_data["skill_languages"], *self.cleaned_data["skill_tags"]]
        if (user.out_of_office_from, user.out_of_office_until) != (
            self.initial.get("out_of_office_from"),
            self.initial.get("out_of_office_until"),
        ):
            # A new absence is handed over again by the routing pass.
            user.absence_handled_from = None
        if commit:
            user.save()
            user.teams.set(self.cleaned_data["teams"])
        return user


class TeamForm(forms.ModelForm):
    class Meta:
        model = Team
        fields = [
            "name",
            "description",
            "members",
            "leads",
            "routing",
            "max_open_per_agent",
            "restricted",
        ]
        widgets = {
            "members": forms.CheckboxSelectMultiple,
            "leads": forms.CheckboxSelectMultiple,
            "description": forms.Textarea(attrs={"rows": 2}),
        }
        labels = {"members": _("Members"), "leads": _("Team leads")}
        help_texts = {
            "leads": _(
                "Members who lead the team: agents escalate tickets to them. "
                "A lead is always a member too."
            ),
            "routing": _(
                "Manual: agents take tickets themselves. Round robin and least loaded "
                "assign new tickets of the team to a present member."
            ),
            "max_open_per_agent": _(
                "Routing skips members who already have this many unsolved tickets. 0: no limit."
            ),
            "restricted": _(
                "Tickets of a restricted team are hidden from agents who are not members "
                "(admins still see them)."
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = User.objects.filter(is_active=True).order_by("name")
        self.fields["leads"].queryset = self.fields["members"].queryset

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        # A lead is a member: an escalation to them must land where they can see it.
        leads, members = data.get("leads"), data.get("members")
        if leads is not None and members is not None:
            data["members"] = members | leads
        return data

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        clash = Team.objects.filter(name__iexact=name).exclude(pk=self.instance.pk)
        if clash.exists():
            raise ValidationError(
                _("A team called “%(name)s” already exists."), params={"name": name}
            )
        return name
