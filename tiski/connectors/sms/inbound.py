"""SMS receipts to messages: long messages joined, STOP and START honoured.

A receipt's source is ``sms:<account id>`` and its key the provider's
message id (unique: the same webhook twice stores one receipt). Parts of a
long message each arrive as their own receipt; a part waits (processed,
no message, the reason says which part) until the last one is in, and then
the whole text is delivered once, in part order. Parts that never all
arrive are not lost: after ``TISKI_SMS_PART_TIMEOUT_SECONDS`` (600) the
periodic ``deliver_incomplete`` delivers what came, with "[part missing]" (in the desk's language)
where a part is absent and the missing part numbers in the message's meta;
a part arriving after that is delivered on its own.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from tiski.connectors.messaging import intake, notes
from tiski.connectors.messaging.inbound import InboundMessage, Malformed
from tiski.connectors.models import InboundReceipt, ReceiptStatus
from tiski.connectors.receipts import read_raw
from tiski.customers.models import IdentityKind
from tiski.tickets import actions
from tiski.tickets.models import Channel

from . import optout, providers
from .models import SmsAccount

log = logging.getLogger(__name__)

SOURCE_PREFIX = "sms:"
WAITING = "Part %(part)d/%(total)d of long message %(ref)s from %(sender)s; waiting for the rest."
JOINED = "Part %(part)d/%(total)d of long message %(ref)s from %(sender)s; joined."
OPTED_OUT = "%(number)s opted out (%(keyword)s)."
OPTED_IN = "%(number)s subscribed again (%(keyword)s)."
REASON_NO_ACCOUNT = "The SMS number this message came to was deleted."
DEFAULT_PART_TIMEOUT_SECONDS = 600


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
        if _delivered_without(receipt, sms):
            # The rest went out incomplete when the wait ran out: this late
            # part is delivered on its own rather than waiting forever.
            return _deliver(
                account, sms, sms.text.strip(), sms.provider_id, {"sms_late_part": sms.part}
            )
        parts = _waiting_parts(receipt, sms)
        parts[sms.part] = (receipt, sms)
        if len(parts) < sms.total:
            return WAITING % _part_words(sms)
        text = "".join(parts[n][1].text for n in sorted(parts))
        provider_id = parts[min(parts)][1].provider_id
    done = _deliver(account, sms, text, provider_id)
    if sms.total > 1:
        _mark_joined(parts, done, but=receipt.pk)
    return done


def _deliver(
    account: SmsAccount, sms: providers.ParsedSms, text: str, provider_id: str, meta=None
) -> intake.Delivered:  # type: ignore[no-untyped-def]
    msg = InboundMessage(
        channel=Channel.SMS,
        account=account.pk,
        sender_kind=IdentityKind.PHONE,
        sender_value=sms.sender,
        text=text,
        provider_id=provider_id,
        reply_to_id=sms.reply_to_id,
        sent_at=sms.sent_at,
        meta={"to": account.number, **(meta or {})},
    )
    return intake.deliver_inbound(msg, team=account.default_team, ticket_type=account.default_type)


def _mark_joined(
    parts: dict[int, tuple[InboundReceipt, providers.ParsedSms]],
    done: intake.Delivered,
    *,
    but: int | None = None,
) -> None:
    for other, part in parts.values():
        if other.pk != but:
            InboundReceipt.objects.filter(pk=other.pk).update(
                message=done.message,
                ticket=done.message.ticket,
                reason=JOINED % _part_words(part),
            )


def part_timeout() -> timedelta:
    seconds = getattr(settings, "TISKI_SMS_PART_TIMEOUT_SECONDS", DEFAULT_PART_TIMEOUT_SECONDS)
    return timedelta(seconds=int(seconds))


def deliver_incomplete(now: datetime | None = None) -> int:
    """Periodic: long messages whose first waiting part is older than the timeout
    are delivered with what came; how many messages were delivered."""
    cutoff = (now or timezone.now()) - part_timeout()
    stale = InboundReceipt.objects.filter(
        channel=Channel.SMS,
        status=ReceiptStatus.PROCESSED,
        message__isnull=True,
        reason__contains=" of long message ",
        reason__endswith="waiting for the rest.",
        received_at__lt=cutoff,
    ).values_list("pk", flat=True)
    delivered = 0
    for receipt_id in list(stale):
        try:
            with actions.unit_of_work():
                delivered += _deliver_incomplete_of(receipt_id)
        except Malformed:
            # Parsed once already, so only a changed account gets here: the
            # parts stay as they are, visible to admins, for the next pass.
            log.warning("SMS receipt %s could not be read for an incomplete delivery", receipt_id)
    return delivered


def _deliver_incomplete_of(receipt_id: int) -> bool:
    receipt = InboundReceipt.objects.filter(pk=receipt_id, message__isnull=True).first()
    account = SmsAccount.objects.filter(pk=_account_id(receipt.source)).first() if receipt else None
    if receipt is None or account is None:
        return False
    # The same lock as a part being processed: the last part cannot slip in between.
    SmsAccount.objects.select_for_update().filter(pk=account.pk).first()
    sms = providers.parse_inbound(account, read_raw(receipt))
    parts = _waiting_parts(receipt, sms)
    parts[sms.part] = (receipt, sms)
    if InboundReceipt.objects.filter(pk=receipt_id, message__isnull=False).exists():
        return False  # delivered meanwhile
    missing = [n for n in range(1, sms.total + 1) if n not in parts]
    gap = f" {notes.part_missing()} "
    text = "".join(parts[n][1].text if n in parts else gap for n in range(1, sms.total + 1))
    first = parts[min(parts)][1]
    meta = {"sms_parts_missing": missing, "sms_parts_total": sms.total}
    done = _deliver(account, first, text.strip(), first.provider_id, meta)
    _mark_joined(parts, done)
    return True


def _delivered_without(receipt: InboundReceipt, sms: providers.ParsedSms) -> bool:
    """Did the other parts of this long message go out incomplete already?"""
    marker = f" of long message {sms.ref} from {sms.sender};"
    return (
        InboundReceipt.objects.filter(
            Q(reason__contains=marker),
            source=receipt.source,
            status=ReceiptStatus.PROCESSED,
            message__isnull=False,
        )
        .exclude(pk=receipt.pk)
        .exists()
    )


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
