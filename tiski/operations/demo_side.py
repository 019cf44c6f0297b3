"""The demo's side conversation: an agent asks the supplier, the supplier answers.

Sent through `connectors.email.side` (the outbox, its own token) and the
answer is a real MIME message through the email intake, so the ticket shows
the panel and its timeline lines exactly as in use.
"""

from __future__ import annotations

import hashlib
import uuid

from tiski.accounts.models import User
from tiski.connectors.email import side
from tiski.connectors.email.compose import plus_address
from tiski.connectors.email.intake import process_receipt
from tiski.connectors.models import Mailbox
from tiski.connectors.receipts import accept
from tiski.tickets.models import Ticket

SUPPLIER = "varasto@kahvitukku.example"
SUBJECT = "Varaosan toimitusaika"


def show_side_conversation(ticket: Ticket, agent: User) -> None:
    mailbox = Mailbox.objects.filter(active=True).order_by("id").first()
    if mailbox is None:
        return
    conversation = side.start(
        ticket,
        actor=agent,
        to=[SUPPLIER],
        subject=SUBJECT,
        text=(
            "Hei,\n\nasiakkaamme odottaa varaosaa. Milloin seuraava erä lähtee "
            "teiltä? Tilausnumero 2024-118."
        ),
    )
    ours = conversation.messages.get().rfc_message_id
    raw = (
        f"From: Kahvitukku Varasto <{SUPPLIER}>\r\n"
        f"To: {plus_address(mailbox.address, side.make_side_token(conversation.pk))}\r\n"
        f"Subject: Re: {SUBJECT}\r\nMessage-ID: <{uuid.uuid4().hex}@kahvitukku.example>\r\n"
        f"In-Reply-To: <{ours}>\r\nReferences: <{ours}>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "Hei,\r\n\r\nseuraava erä lähtee torstaina, perillä perjantaina.\r\n\r\n"
        "Terveisin\r\nKahvitukun varasto\r\n"
    ).encode()
    receipt, _created = accept(
        source="demo",
        key=hashlib.sha256(raw).hexdigest(),
        raw=raw,
        mailbox=mailbox,
        schedule=False,
    )
    process_receipt(receipt.pk)
