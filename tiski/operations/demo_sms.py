"""The demo's SMS number and one SMS conversation, written through the SMS intake.

The messages are stored as receipts with the generic provider's JSON and
processed by the channel's own intake, as a webhook would: a customer the
desk knows by phone texts a long question in two parts (joined into one
message on a new SMS ticket of that customer) and a follow-up that threads
onto it. No reply is sent: the demo has no SMS gateway to send through.
"""

from __future__ import annotations

import json
from datetime import datetime

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
