"""The demo's Telegram bot, WhatsApp number and Instagram account, each with a conversation.

The customers' messages are stored as receipts in the providers' own
webhook formats and processed by each channel's intake, as a webhook would
be. The WhatsApp message comes from a customer the desk knows by phone, so
it lands on that contact; the Telegram one makes a new contact. No reply is
sent: the demo has no Bot API or Cloud API to send through. On Instagram a
colleague answered from the Instagram app: the echo of that answer shows on
the ticket as the account's reply, and the customer's heart and thanks
follow it onto the same ticket.
"""

from __future__ import annotations

import json
from datetime import datetime

from tiski.accounts.models import Team, User
from tiski.connectors.meta import inbound as meta_inbound
from tiski.connectors.meta.models import MetaAccount, MetaKind
from tiski.connectors.receipts import accept
from tiski.connectors.telegram import inbound as telegram_inbound
from tiski.connectors.telegram.models import TelegramBot
from tiski.connectors.whatsapp import inbound as whatsapp_inbound
from tiski.connectors.whatsapp.models import WhatsAppAccount, WhatsAppTemplate
from tiski.customers.actions import get_or_create_contact
from tiski.customers.models import IdentityKind
from tiski.setup import audit
from tiski.tickets.models import Channel, Ticket, TicketType

BOT_USERNAME = "tiski_kauppa_bot"
WHATSAPP_NUMBER = "+358451239999"
TELEGRAM_TEXTS = [
    "Hei! Voiko tilaukseen 48390 vielä lisätä lahjapaketoinnin?",
    "Ja toimitusosoite on sama kuin viimeksi.",
]


def make_telegram(admin: User, support: Team, now: datetime) -> Ticket | None:
    bot = TelegramBot.objects.filter(username=BOT_USERNAME).first()
    if bot is None:
        # env: the demo has no real token; an admin sets one in Settings.
        bot = TelegramBot.objects.create(
            name="Kaupan botti", username=BOT_USERNAME, bot_token="env:TELEGRAM_BOT_TOKEN",
            default_team=support, default_type=TicketType.objects.filter(slug="order").first(),
        )  # fmt: skip
        audit.record_setting_change(admin, "telegram_bots", "created", bot)
    sender = {"id": 7700123, "is_bot": False, "first_name": "Eetu", "last_name": "Salo",
              "username": "eetusalo", "language_code": "fi"}  # fmt: skip
    receipt = None
    for n, text in enumerate(TELEGRAM_TEXTS, start=1):
        update = {
            "update_id": 900000 + n,
            "message": {
                "message_id": n,
                "from": sender,
                "chat": {"id": sender["id"], "first_name": "Eetu", "type": "private"},
                "date": int(now.timestamp()) - 600 + n * 60,
                "text": text,
            },
        }
        receipt, _created = accept(
            channel=Channel.TELEGRAM,
            source=telegram_inbound.source_for(bot),
            key=str(update["update_id"]),
            raw=json.dumps(update, ensure_ascii=False).encode(),
            schedule=False,
        )
        telegram_inbound.process_receipt(receipt.pk)
    if receipt is None:
        return None
    receipt.refresh_from_db()
    return receipt.ticket


def make_whatsapp(admin: User, support: Team, sender: str, now: datetime) -> Ticket | None:
    """A known customer (``sender`` in E.164) sends a text and their location."""
    account = WhatsAppAccount.objects.filter(number=WHATSAPP_NUMBER).first()
    if account is None:
        account = WhatsAppAccount.objects.create(
            name="Asiakaspalvelu WhatsApp", number=WHATSAPP_NUMBER,
            phone_number_id="106540352242922", access_token="env:WHATSAPP_TOKEN",
            app_secret="env:WHATSAPP_APP_SECRET", default_team=support,
            default_type=TicketType.objects.filter(slug="question").first(),
        )  # fmt: skip
        audit.record_setting_change(admin, "whatsapp_accounts", "created", account)
        WhatsAppTemplate.objects.create(
            account=account, name="tilaus_noudettavissa", language="fi",
            body="Hei {{1}}! Tilauksesi {{2}} on noudettavissa myymälästä.", variables=2,
        )  # fmt: skip
    wa_id = sender.lstrip("+")
    messages = [
        {"type": "text", "text": {"body": "Hei, voinko noutaa tilaukseni myymälästä tänään?"}},
        {
            "type": "location",
            "location": {"latitude": 60.1699, "longitude": 24.9384, "name": "Myymälä Kamppi"},
        },  # fmt: skip
    ]
    receipt = None
    for n, fields in enumerate(messages, start=1):
        item = {
            "message": {"from": wa_id, "id": f"wamid.demo{n}",
                        "timestamp": str(int(now.timestamp()) - 300 + n * 60), **fields},
            "contact": {"profile": {"name": ""}, "wa_id": wa_id},
            "metadata": {"display_phone_number": WHATSAPP_NUMBER.lstrip("+"),
                         "phone_number_id": account.phone_number_id},
        }  # fmt: skip
        receipt, _created = accept(
            channel=Channel.WHATSAPP,
            source=whatsapp_inbound.source_for(account),
            key=item["message"]["id"],
            raw=json.dumps(item, ensure_ascii=False).encode(),
            schedule=False,
        )
        whatsapp_inbound.process_receipt(receipt.pk)
    if receipt is None:
        return None
    receipt.refresh_from_db()
    return receipt.ticket


INSTAGRAM_ID = "17841400000000001"
INSTAGRAM_CUSTOMER = "5510000000000001"  # the customer's IGSID


def make_instagram(admin: User, support: Team, now: datetime) -> Ticket | None:
    """A follower asks about a size; a colleague answered in the Instagram app (an echo)."""
    account = MetaAccount.objects.filter(kind=MetaKind.INSTAGRAM, account_id=INSTAGRAM_ID).first()
    if account is None:
        account = MetaAccount.objects.create(
            kind=MetaKind.INSTAGRAM, name="@kauppa.demo", account_id=INSTAGRAM_ID,
            access_token="env:META_PAGE_TOKEN", app_secret="env:META_APP_SECRET",
            default_team=support, default_type=TicketType.objects.filter(slug="question").first(),
        )  # fmt: skip
        audit.record_setting_change(admin, "meta_accounts", "created", account)
    # Known by name already (she follows the shop), so the intake asks no profile of
    # the Graph API, which the demo cannot reach.
    get_or_create_contact(IdentityKind.INSTAGRAM, INSTAGRAM_CUSTOMER, name="Sanni Lehto")
    customer, us = {"id": INSTAGRAM_CUSTOMER}, {"id": INSTAGRAM_ID}
    start = int(now.timestamp() * 1000) - 40 * 60 * 1000
    events = [
        {"sender": customer, "recipient": us, "message": {
            "mid": "aWdfZAG1demo1", "text": "Hei! Onko kuvan villapaitaa vielä koossa M?"}},
        {"sender": us, "recipient": customer, "message": {
            "mid": "aWdfZAG1demo2", "is_echo": True,
            "text": "Hei Sanni! On, M-kokoa on kolme jäljellä. Toimitus 2–3 arkipäivässä."}},
        {"sender": customer, "recipient": us, "reaction": {
            "mid": "aWdfZAG1demo2", "action": "react", "reaction": "love", "emoji": "❤"}},
        {"sender": customer, "recipient": us, "message": {
            "mid": "aWdfZAG1demo3", "text": "Kiitos, tilaan sen tänään verkkokaupasta!"}},
    ]  # fmt: skip
    receipt = None
    for n, event in enumerate(events):
        event["timestamp"] = start + n * 5 * 60 * 1000
        # The webhook's own split gives each event its receipt key (a reaction has no mid).
        webhook = {"object": "instagram", "entry": [{"id": INSTAGRAM_ID, "messaging": [event]}]}
        kept, _receipts = meta_inbound.split(account, json.dumps(webhook).encode())
        key, kept_event = kept[0]
        receipt, _created = accept(
            channel=account.channel,
            source=meta_inbound.source_for(account),
            key=key,
            raw=json.dumps(kept_event, ensure_ascii=False).encode(),
            schedule=False,
        )
        meta_inbound.process_receipt(receipt.pk)
    if receipt is None:
        return None
    receipt.refresh_from_db()
    return receipt.ticket
