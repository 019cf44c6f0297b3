"""The demo's SMS number and one SMS conversation, written through the SMS intake.

The messages are stored as receipts with the generic provider's JSON and
processed by the channel's own intake, as a webhook would: a customer the
desk knows by phone texts a long question in two parts (joined into one
message on a new SMS ticket of that customer) and a follow-up that threads
onto it. No reply is sent: the demo has no SMS gateway to send through.

A second customer's long text loses its middle part on the way: the
intake's sweep delivers it with "[osa puuttuu]" (in the desk's language) once the wait is over, and
the customer then texts STOP, so their ticket shows the opt-out and the
composer offers the reply by email instead.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from django.utils import timezone

from tiski.accounts.models import Team, User
from tiski.connectors.receipts import accept
from tiski.connectors.sms import inbound
from tiski.connectors.sms.models import Provider, SmsAccount
from tiski.setup import audit
from tiski.tickets.models import Channel, Ticket, TicketType

NUMBER = "+358451230000"
TEXTS = [
    ("Hei! Tilasin viime viikolla kaksi kehystä, mutta paketissa oli vain yksi. ", 1, 2),
    ("Tilausnumero on 48213. Voitteko lähettää puuttuvan?", 2, 2),
    ("Lisäys: olen kotona arkisin klo 16 jälkeen.", 1, 1),
]


INCOMPLETE = [
    ("Hei, laskussanne 7713 on kaksi kertaa sama toimitusmaksu. ", 1, 3),
    ("Olen maksanut laskun jo, joten toivoisin hyvitystä tilille.", 3, 3),
]


def make_sms_account(admin: User, support: Team) -> SmsAccount:
    account = SmsAccount.objects.filter(number=NUMBER).first()
    if account is None:
        account = SmsAccount.objects.create(
            name="Asiakaspalvelu SMS",
            number=NUMBER,
            provider=Provider.HTTP_JSON,
            api_url="https://sms-gateway.example/v1/messages",
            default_team=support,
            # Texts about orders are mostly missing or wrong items.
            default_type=TicketType.objects.filter(slug="complaint").first(),
        )
        audit.record_setting_change(admin, "sms_accounts", "created", account)
    return account


def make_sms_conversation(account: SmsAccount, sender: str, now: datetime) -> Ticket | None:
    """The customer's texts through the intake; the ticket they made."""
    receipt = None
    for n, (text, part, total) in enumerate(TEXTS, start=1):
        payload = {"id": f"demo-sms-{n}", "from": sender, "to": NUMBER, "text": text}
        if total > 1:
            payload.update(part=part, total=total, ref="demo-long-1")
        receipt, _created = accept(
            channel=Channel.SMS,
            source=inbound.source_for(account),
            key=payload["id"],
            raw=json.dumps(payload, ensure_ascii=False).encode(),
            schedule=False,
        )
        inbound.process_receipt(receipt.pk)
    if receipt is None:
        return None
    receipt.refresh_from_db()
    return receipt.ticket


def make_incomplete_and_stop(account: SmsAccount, sender: str) -> Ticket | None:
    """A long text whose middle part never comes, delivered by the sweep; then STOP."""
    source = inbound.source_for(account)
    for n, (text, part, total) in enumerate(INCOMPLETE, start=1):
        payload = {"id": f"demo-sms-part-{n}", "from": sender, "to": NUMBER, "text": text}
        payload.update(part=part, total=total, ref="demo-long-2")
        _receipt(source, payload)
    # The sweep's pass once the wait for part 2 is over (beat runs it every minute).
    inbound.deliver_incomplete(now=timezone.now() + inbound.part_timeout() + timedelta(seconds=1))
    stop = _receipt(source, {"id": "demo-sms-stop", "from": sender, "to": NUMBER, "text": "STOP"})
    return (
        Ticket.objects.filter(channel=Channel.SMS, requester__identities__value=sender).first()
        if stop
        else None
    )


def _receipt(source: str, payload: dict) -> bool:
    receipt, _created = accept(
        channel=Channel.SMS,
        source=source,
        key=payload["id"],
        raw=json.dumps(payload, ensure_ascii=False).encode(),
        schedule=False,
    )
    inbound.process_receipt(receipt.pk)
    return True
