"""The agent's own preferences (account menu → Preferences): language, time zone,
how each kind of notification reaches them, whether their notification mail
comes one by one or in digests, and which browsers show notifications.

Every user may set these for themselves; the desk shows times in the zone
chosen here (`core.middleware.DeskSettingsMiddleware`), or the desk's own
when none is chosen.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from tiski.accounts.models import User
from tiski.core import desk
from tiski.notifications import digests
from tiski.notifications import services as notifications
from tiski.notifications.models import (
    Delivery,
    Kind,
    MailFrequency,
    MailSchedule,
    PushSubscription,
)

from . import webpush


def _time_zone_choices() -> list[tuple[str, str]]:
    own = _("The desk's time zone (%(zone)s)") % {"zone": desk.time_zone_name()}
    return [("", own), *((name, name) for name in sorted(desk.time_zone_names()))]


class PreferencesForm(forms.ModelForm):
    time_zone = forms.ChoiceField(
        label=gettext_lazy("Time zone"),
        required=False,
        help_text=gettext_lazy("Every time in the desk is shown in this zone."),
    )

    class Meta:
        model = User
        fields = ["language", "time_zone"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = _time_zone_choices()


class NotificationSettingsForm(forms.Form):
    """One choice per kind of notice: in the app, also by email, or off."""

    def __init__(self, *args, user: User, **kwargs) -> None:
        chosen = notifications.settings_for(user)
        initial = {kind: chosen.get(kind, Delivery.APP) for kind in Kind.values}
        super().__init__(*args, initial=initial, **kwargs)
        for kind in Kind:
            self.fields[kind.value] = forms.ChoiceField(
                label=kind.label, choices=Delivery.choices, required=False
            )

    def save(self, user: User) -> None:
        # A kind left out of the post keeps what was chosen before.
        chosen = {kind: value for kind, value in self.cleaned_data.items() if value}
        notifications.save_settings(user, chosen)


class MailScheduleForm(forms.Form):
    """Notification email one by one, or gathered into hourly or daily digests."""

    # Not required: a post without them (an older page, a script) keeps what was chosen.
    frequency = forms.ChoiceField(
        label=gettext_lazy("Notification email"), choices=MailFrequency.choices, required=False
    )
    daily_hour = forms.TypedChoiceField(
        label=gettext_lazy("Daily digest at"),
        choices=[(hour, f"{hour:02d}:00") for hour in range(24)],
        coerce=int,
        empty_value=None,
        required=False,
    )

    def __init__(self, *args, user: User, **kwargs) -> None:
        schedule = MailSchedule.objects.filter(user=user).first()
        initial = {
            "frequency": schedule.frequency if schedule else MailFrequency.IMMEDIATE,
            "daily_hour": schedule.daily_hour if schedule else 8,
        }
        super().__init__(*args, initial=initial, **kwargs)

    def save(self, user: User) -> None:
        if self.cleaned_data["frequency"]:
            digests.save_schedule(
                user, self.cleaned_data["frequency"], self.cleaned_data["daily_hour"]
            )


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    form = PreferencesForm(request.POST or None, instance=request.user)
    notify_form = NotificationSettingsForm(request.POST or None, user=request.user, prefix="notify")
    mail_form = MailScheduleForm(request.POST or None, user=request.user, prefix="mail")
    forms_valid = form.is_valid() and notify_form.is_valid() and mail_form.is_valid()
    if request.method == "POST" and forms_valid:
        form.save()
        notify_form.save(request.user)
        mail_form.save(request.user)
        zone = desk.user_time_zone_name(request.user)
        # The message is shown on the next page, in the language just chosen.
        flash.success(
            request, _("Preferences saved. Times are shown in %(zone)s.") % {"zone": zone}
        )
        return redirect("desk:preferences")
    context = {
        "form": form,
        "notify_form": notify_form,
        "mail_form": mail_form,
        "now": timezone.now(),
        "push_subscriptions": PushSubscription.objects.filter(user=request.user),
        "push_key": webpush.application_server_key(),
    }
    failed = form.errors or notify_form.errors or mail_form.errors
    return render(request, "desk/preferences.html", context, status=400 if failed else 200)
