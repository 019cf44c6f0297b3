"""SMS receipts to messages: long messages joined, STOP and START honoured.

A receipt's source is ``sms:<account id>`` and its key the provider's
message id (unique: the same webhook twice stores one receipt). Parts of a
long message each arrive as their own receipt; a part waits (processed,
no message, the reason says which part) until the last one is in, and then
the whole text is delivered once, in part order.
"""

from __future__ import annotations

from django.db.models import Q

from tiski.connectors.messaging import intake
from tiski.connectors.messaging.inbound import InboundMessage, Malformed
from tiski.connectors.models import InboundReceipt, ReceiptStatus
from tiski.connectors.receipts import read_raw
from tiski.customers.models import IdentityKind
from tiski.tickets.models import Channel

from . import optout, providers
from .models import SmsAccount

SOURCE_PREFIX = "sms:"
WAITING = "Part %(part)d/%(total)d of long message %(ref)s from %(sender)s; waiting for the rest."
JOINED = "Part %(part)d/%(total)d of long message %(ref)s from %(sender)s; joined."
OPTED_OUT = "%(number)s opted out (%(keyword)s)."
OPTED_IN = "%(number)s subscribed again (%(keyword)s)."
REASON_NO_ACCOUNT = "The SMS number this message came to was deleted."


def source_for(account: SmsAccount) -> str:
    return f"{SOURCE_PREFIX}{account.pk}"


def process_receipt(receipt_id: int) -> intake.Result:
    """The registry's intake for SMS receipts (run by the process_receipt task)."""
    return intake.process(receipt_id, handle)


def handle(receipt: InboundReceipt, raw: bytes) -> intake.Delivered | str:
    account = SmsAccount.objects.filter(pk=_account_id(receipt.source)).first()
    if account is None:
        raise Malformed(REASON_NO_ACCOUNT)
    sms = providers.parse_inbound(account, raw)
    keyword = optout.keyword(sms.text)
    if keyword in optout.STOP_WORDS:
        optout.opt_out(sms.sender, keyword)
        return OPTED_OUT % {"number": sms.sender, "keyword": keyword}
    if keyword in optout.START_WORDS:
        optout.opt_in(sms.sender)
        return OPTED_IN % {"number": sms.sender, "keyword": keyword}
    text, provider_id = sms.text, sms.provider_id
    if sms.total > 1:
        # One at a time per number: two parts processed at once must not
        # both think the other is missing.
        SmsAccount.objects.select_for_update().filter(pk=account.pk).first()
        parts = _waiting_parts(receipt, sms)
        parts[sms.part] = (receipt, sms)
        if len(parts) < sms.total:
            return WAITING % _part_words(sms)
        text = "".join(parts[n][1].text for n in sorted(parts))
        provider_id = parts[min(parts)][1].provider_id
    msg = InboundMessage(
        channel=Channel.SMS,
        account=account.pk,
        sender_kind=IdentityKind.PHONE,
        sender_value=sms.sender,
        text=text,
        provider_id=provider_id,
        reply_to_id=sms.reply_to_id,
        sent_at=sms.sent_at,
        meta={"to": account.number},
    )
    done = intake.deliver_inbound(msg, team=account.default_team, ticket_type=account.default_type)
    if sms.total > 1:
        for other, part in parts.values():
            if other.pk != receipt.pk:
                InboundReceipt.objects.filter(pk=other.pk).update(
                    message=done.message,
                    ticket=done.message.ticket,
                    reason=JOINED % _part_words(part),
                )
    return done


def _account_id(source: str) -> int | None:
    value = source.removeprefix(SOURCE_PREFIX)
    return int(value) if value.isdigit() else None


def _part_words(sms: providers.ParsedSms) -> dict:
    return {"part": sms.part, "total": sms.total, "ref": sms.ref, "sender": sms.sender}


def _waiting_parts(
    receipt: InboundReceipt, sms: providers.ParsedSms
) -> dict[int, tuple[InboundReceipt, providers.ParsedSms]]:
    """The other parts of this long message that came in already and wait."""
    marker = f" of long message {sms.ref} from {sms.sender};"
    others = InboundReceipt.objects.filter(
        Q(reason__contains=marker),
        source=receipt.source,
        status=ReceiptStatus.PROCESSED,
        message__isnull=True,
    ).exclude(pk=receipt.pk)
    account = SmsAccount.objects.get(pk=_account_id(receipt.source))
    found = {}
    for other in others:
        part = providers.parse_inbound(account, read_raw(other))
        found[part.part] = (other, part)
    return found
