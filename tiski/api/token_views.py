"""The user's own API tokens (account menu → API tokens): make, see once, revoke."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django import forms
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from . import tokens
from .models import ApiToken, Scope


class TokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=100,
        help_text=gettext_lazy('What uses it, e.g. "Web shop".'),
    )
    scope = forms.ChoiceField(label=gettext_lazy("Scope"), choices=Scope.choices)
    expires_on = forms.DateField(
        label=gettext_lazy("Expires on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("Empty: never expires."),
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not user.is_admin:
            self.fields["scope"].choices = [c for c in Scope.choices if c[0] != Scope.ADMIN]

    def clean_expires_on(self):
        day = self.cleaned_data.get("expires_on")
        if day is not None and day <= timezone.localdate():
            raise forms.ValidationError(_("Choose a day after today."))
        return day

    def expires_at(self) -> datetime | None:
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        # The token works through the whole chosen day, in the desk's time zone.
        return timezone.make_aware(datetime.combine(day, time.min)) + timedelta(days=1)


@login_required
@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            token, raw = tokens.create_token(
                request.user,
                name=form.cleaned_data["name"],
                scope=form.cleaned_data["scope"],
                expires_at=form.expires_at(),
            )
        except PermissionDenied as exc:
            form.add_error("scope", str(exc))
        else:
            # The only time the token is readable: rendered, not redirected,
            # so it never sits in a session or a URL.
            return render(
                request,
                "api/tokens.html",
                _context(request, TokenForm(user=request.user), new_token=raw, created=token),
                status=201,
            )
    return render(
        request, "api/tokens.html", _context(request, form), status=400 if form.errors else 200
    )


def _context(request: HttpRequest, form: TokenForm, **extra) -> dict:
    return {
        "form": form,
        # An API client's hourly tokens belong to Settings → API clients, not here.
        "tokens": ApiToken.objects.personal().filter(user=request.user, revoked_at__isnull=True),
        "revoked": ApiToken.objects.personal().filter(user=request.user, revoked_at__isnull=False)[
            :20
        ],
        **extra,
    }


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken.objects.personal(), pk=pk, user=request.user)
    tokens.revoke(token)
    flash.success(request, _("The token %(name)s no longer works.") % {"name": token.name})
    return redirect("api-tokens:list")
