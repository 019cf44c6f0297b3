"""Settings → Webhooks: subscribe URLs to events, see every delivery, send one again.

Admins only, like every Settings page; each save is written to the
settings change log (the secret never is).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages as flash
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from tiski.setup.audit import form_changes, record_setting_change
from tiski.setup.views.common import admin_required

from ..models import WebhookDelivery, WebhookEvent, WebhookSubscription
from . import delivery, signing

SECTION = "webhooks"
LOG_PAGE = 50


class SubscriptionForm(forms.ModelForm):
    url = forms.URLField(
        label=gettext_lazy("URL"),
        max_length=500,
        assume_scheme="https",
        help_text=gettext_lazy("Where each event is sent as a signed POST (https recommended)."),
    )
    events = forms.MultipleChoiceField(
        label=gettext_lazy("Events"),
        choices=WebhookEvent.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = WebhookSubscription
        fields = ["name", "url", "events", "active"]


@admin_required
def subscription_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "api/webhooks/list.html",
        {"subscriptions": WebhookSubscription.objects.all()},
    )


@admin_required
@require_http_methods(["GET", "POST"])
def subscription_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    subscription = get_object_or_404(WebhookSubscription, pk=pk) if pk else None
    form = SubscriptionForm(request.POST or None, instance=subscription)
    if request.method == "POST" and form.is_valid():
        created = subscription is None
        with transaction.atomic():
            saved = form.save(commit=False)
            secret = ""
            if created:
                secret = signing.new_secret()
                saved.secret = secret
                saved.created_by = request.user
            if saved.active:
                # Switched on again by hand: its failure count starts over.
                saved.consecutive_failures, saved.disabled_reason = 0, ""
            saved.save()
            record_setting_change(
                request.user,
                SECTION,
                "created" if created else "updated",
                saved,
                form_changes(form),
            )
        if created:
            return _show_secret(request, saved, secret)
        flash.success(request, _("Webhook saved."))
        return redirect("setup:webhooks")
    return render(
        request,
        "api/webhooks/edit.html",
        {"form": form, "subscription": subscription},
        status=400 if form.errors else 200,
    )


def _show_secret(
    request: HttpRequest, subscription: WebhookSubscription, secret: str
) -> HttpResponse:
    # Rendered once, never stored readable in a session or URL.
    return render(
        request,
        "api/webhooks/secret.html",
        {"subscription": subscription, "secret": secret},
        status=201,
    )


@admin_required
@require_POST
def subscription_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    """A new signing secret; the old one stops verifying at once."""
    subscription = get_object_or_404(WebhookSubscription, pk=pk)
    secret = signing.new_secret()
    with transaction.atomic():
        subscription.secret = secret
        subscription.save(update_fields=["secret"])
        record_setting_change(
            request.user, SECTION, "updated", subscription, {"secret": ["••••", "••••"]}
        )
    return _show_secret(request, subscription, secret)


@admin_required
@require_POST
def subscription_delete(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = get_object_or_404(WebhookSubscription, pk=pk)
    with transaction.atomic():
        record_setting_change(request.user, SECTION, "deleted", subscription)
        subscription.delete()
    flash.success(request, _("Webhook deleted."))
    return redirect("setup:webhooks")


@admin_required
def delivery_log(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = get_object_or_404(WebhookSubscription, pk=pk)
    return render(
        request,
        "api/webhooks/log.html",
        {
            "subscription": subscription,
            "deliveries": subscription.deliveries.all()[:LOG_PAGE],
        },
    )


@admin_required
@require_POST
def delivery_resend(request: HttpRequest, pk: int, delivery_id: int) -> HttpResponse:
    row = get_object_or_404(WebhookDelivery, pk=delivery_id, subscription_id=pk)
    delivery.resend(row)
    flash.success(request, _("The event will be sent again."))
    return redirect("setup:webhook-log", pk=pk)
