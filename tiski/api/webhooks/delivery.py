"""Sending one delivery row, and what happens when it fails.

A delivery is claimed by moving its ``next_attempt_at`` forward in one
UPDATE before the POST, so two workers (or the sweep and the first try)
never send the same row at once. Failures are retried with growing
pauses for about a day; a subscription that fails too often in a row is
switched off with the reason shown in Settings.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tiski.core.tasks import enqueue

from ..models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from . import signing
from .outbound import Answer, HttpFailure, _post

# Seconds before each retry: 1 min, 5 min, 15 min, 1 h, 3 h, 6 h, 12 h (a day in all).
BACKOFF = (60, 300, 900, 3600, 3 * 3600, 6 * 3600, 12 * 3600)
# How long a claimed row waits before the sweep may try it again (a crashed worker).
CLAIM_SECONDS = 120
USER_AGENT = "Tiski-Webhooks/1"


def body_of(delivery: WebhookDelivery) -> bytes:
    return json.dumps(delivery.payload, cls=DjangoJSONEncoder, separators=(",", ":")).encode()


def _claim(delivery_id: int) -> bool:
    now = timezone.now()
    claimed = WebhookDelivery.objects.filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
        pk=delivery_id,
        status=DeliveryStatus.PENDING,
    ).update(next_attempt_at=now + timedelta(seconds=CLAIM_SECONDS))
    return claimed == 1


def deliver(delivery_id: int) -> str | None:
    """Try one delivery now; returns its status afterwards (None if not ours to send)."""
    if not _claim(delivery_id):
        return None
    delivery = WebhookDelivery.objects.select_related("subscription").get(pk=delivery_id)
    subscription = delivery.subscription
    if not subscription.active:
        _finish(delivery, DeliveryStatus.FAILED, error=_("The webhook is switched off."))
        return delivery.status
    body = body_of(delivery)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        signing.EVENT_HEADER: delivery.event,
        signing.EVENT_ID_HEADER: str(delivery.event_id),
        signing.TIMESTAMP_HEADER: str(timestamp),
        signing.SIGNATURE_HEADER: signing.sign(subscription.secret, timestamp, body),
    }
    try:
        answer = _post(subscription.url, body, headers)
    except HttpFailure as exc:
        _failed(delivery, str(exc)[:500], None)
    else:
        if 200 <= answer.status < 300:
            _finish(delivery, DeliveryStatus.DELIVERED, answer=answer)
            WebhookSubscription.objects.filter(pk=subscription.pk).update(consecutive_failures=0)
        else:
            _failed(delivery, f"HTTP {answer.status}", answer)
    return delivery.status


def _finish(
    delivery: WebhookDelivery, status: str, *, answer: Answer | None = None, error: str = ""
) -> None:
    delivery.attempts += 1
    delivery.status = status
    delivery.error = error
    delivery.next_attempt_at = None
    if status == DeliveryStatus.DELIVERED:
        delivery.delivered_at = timezone.now()
    _keep_answer(delivery, answer)
    delivery.save()


def _keep_answer(delivery: WebhookDelivery, answer: Answer | None) -> None:
    delivery.response_status = answer.status if answer else None
    delivery.response_body = answer.body[:2000] if answer else ""
    delivery.duration_ms = answer.duration_ms if answer else None


def _failed(delivery: WebhookDelivery, error: str, answer: Answer | None) -> None:
    delivery.attempts += 1
    delivery.error = error
    _keep_answer(delivery, answer)
    if delivery.attempts > len(BACKOFF):
        delivery.status = DeliveryStatus.FAILED
        delivery.next_attempt_at = None
    else:
        pause = BACKOFF[delivery.attempts - 1]
        delivery.next_attempt_at = timezone.now() + timedelta(seconds=pause)
    delivery.save()
    _count_failure(delivery.subscription_id)


def _count_failure(subscription_id: int) -> None:
    with transaction.atomic():
        WebhookSubscription.objects.filter(pk=subscription_id).update(
            consecutive_failures=F("consecutive_failures") + 1
        )
        subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription_id)
        limit = settings.TISKI_WEBHOOK_MAX_FAILURES
        if subscription.active and subscription.consecutive_failures >= limit:
            subscription.active = False
            subscription.disabled_reason = _(
                "Switched off after %(count)s failed deliveries in a row."
            ) % {"count": subscription.consecutive_failures}
            subscription.save(update_fields=["active", "disabled_reason"])


def resend(delivery: WebhookDelivery) -> None:
    """An admin's "send again": the same event id, so the receiver can tell it is one event."""
    delivery.status = DeliveryStatus.PENDING
    delivery.next_attempt_at = timezone.now()
    delivery.save(update_fields=["status", "next_attempt_at"])
    transaction.on_commit(lambda: enqueue("tiski.api.deliver_webhook", delivery.pk))


def due_ids(limit: int = 500) -> list[int]:
    return list(
        WebhookDelivery.objects.filter(
            status=DeliveryStatus.PENDING, next_attempt_at__lte=timezone.now()
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
