"""When Tiski must not write to someone automatically: the mail-loop rules.

Two auto-responders answering each other can exchange thousands of mails
in an hour. Automatic mail (acknowledgements, rule mails, notifications) is
therefore never sent in reply to mail that is itself automatic, never to
daemons or to our own addresses, never to addresses that bounced, and at
most a few times an hour to one address. Agents' own replies are not
limited by these rules: a person decided to write.

Pure functions only; the outbox applies them with what it looked up.
Reasons are stored in English, like the intake's quarantine reasons: they
are read by admins and support engineers and must not depend on the
language a worker happened to run in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from tiski.customers.addresses import is_daemon_address

# Headers of an inbound message that mark it as machine-written (RFC 3834,
# Microsoft's and older vacation programs' own headers).
_PRECEDENCE_AUTOMATIC = ("bulk", "list", "junk", "auto_reply")
_MARKER_HEADERS = ("x-autoreply", "x-autorespond", "x-auto-response-suppress", "list-id")

REASON_AUTO_SUBMITTED = "the message is automatic (Auto-Submitted: %(value)s)"
REASON_PRECEDENCE = "the message is bulk or list mail (Precedence: %(value)s)"
REASON_AUTO_REPLY_PRECEDENCE = "the message is an automatic reply (Precedence: auto_reply)"
REASON_MARKER = "the message is automatic (%(header)s header)"
REASON_NULL_RETURN_PATH = "the message has an empty return path (a bounce or report)"
REASON_AUTOMATIC = "the message is automatic"
REASON_IMPORTED = "imported mail never triggers automatic mail"
REASON_NO_ADDRESS = "no recipient address"
REASON_DAEMON = "%(address)s is a mail system address"
REASON_OWN = "%(address)s is one of our own mailboxes"
REASON_UNDELIVERABLE = "%(address)s is undeliverable: %(reason)s"
REASON_CAP = "%(address)s already got %(count)d automatic emails in the last hour"


def inbound_auto_reason(headers: Mapping[str, str], sender: str) -> str:
    """Why an inbound message counts as automatic, or "" when a person wrote it.

    ``headers`` are lower-cased names to values (ParsedEmail.headers).
    """
    auto = headers.get("auto-submitted", "").strip().lower()
    if auto and not auto.startswith("no"):
        return REASON_AUTO_SUBMITTED % {"value": auto[:60]}
    precedence = headers.get("precedence", "").strip().lower()
    if precedence in _PRECEDENCE_AUTOMATIC:
        return REASON_PRECEDENCE % {"value": precedence}
    for name in _MARKER_HEADERS:
        if name in headers:
            return REASON_MARKER % {"header": name}
    # Apple's iCloud vacation replies carry neither Auto-Submitted nor Precedence.
    if headers.get("x-apple-action", "").strip().lower() == "vacation":
        return REASON_MARKER % {"header": "x-apple-action"}
    if headers.get("return-path", "").replace(" ", "") == "<>":
        return REASON_NULL_RETURN_PATH
    if not sender:
        return REASON_NO_ADDRESS
    if is_daemon_address(sender):
        return REASON_DAEMON % {"address": sender}
    return ""


# The older vacation programs' own headers.
_AUTO_REPLY_HEADERS = ("x-autoreply", "x-autorespond")


def automatic_reply_reason(headers: Mapping[str, str]) -> str:
    """Why an inbound mail is an automatic reply (out of office, vacation,
    read receipt), or "" when it is not: such mail never opens a ticket.

    Any Auto-Submitted other than "no" counts: the sender's system says a
    machine wrote it (Exchange marks some out-of-office replies
    "auto-generated"). Narrower than `inbound_auto_reason` on purpose: a
    support address run through a mailing list or group (List-Id,
    Precedence: list or bulk), a web form sending from a no-reply address
    and Outlook's X-Auto-Response-Suppress (a request, not a marker) are on
    mail someone means to become a ticket. Those still never get automatic
    mail back.
    """
    auto = headers.get("auto-submitted", "").strip().lower()
    if auto and not auto.startswith("no"):
        return REASON_AUTO_SUBMITTED % {"value": auto[:60]}
    for name in _AUTO_REPLY_HEADERS:
        value = headers.get(name)
        if value is not None and value.strip().lower() not in ("no", "false", "0"):
            return REASON_MARKER % {"header": name}
    if headers.get("precedence", "").strip().lower() == "auto_reply":
        return REASON_AUTO_REPLY_PRECEDENCE
    if headers.get("x-apple-action", "").strip().lower() == "vacation":
        return REASON_MARKER % {"header": "x-apple-action"}
    # RFC 3834 asks auto-responders to send with an empty return path; a
    # person's mail never has one (bounces, which do too, are told apart first).
    if headers.get("return-path", "").replace(" ", "") == "<>":
        return REASON_NULL_RETURN_PATH
    return ""


def base_address(address: str) -> str:
    """The address without a +tag, lower-cased: tuki+abc@x and TUKI@x are one mailbox."""
    local, at, domain = (address or "").strip().strip("<>").lower().rpartition("@")
    if not at:
        return domain
    return f"{local.partition('+')[0]}@{domain}"


def recipient_block_reason(
    address: str,
    *,
    own_addresses: Iterable[str],
    undeliverable_reason: str | None = None,
    sent_last_hour: int = 0,
    per_hour: int = 3,
) -> str:
    """Why automatic mail must not go to ``address``, or "" when it may.

    ``own_addresses`` are base addresses (see `base_address`);
    ``undeliverable_reason`` is None for a deliverable address (an empty
    string still means undeliverable, reason unknown).
    """
    address = (address or "").strip()
    if "@" not in address:
        return REASON_NO_ADDRESS
    if is_daemon_address(address):
        return REASON_DAEMON % {"address": address}
    if base_address(address) in set(own_addresses):
        return REASON_OWN % {"address": address}
    if undeliverable_reason is not None:
        return REASON_UNDELIVERABLE % {
            "address": address,
            "reason": undeliverable_reason or "bounced",
        }
    if per_hour >= 0 and sent_last_hour >= per_hour:
        return REASON_CAP % {"address": address, "count": sent_last_hour}
    return ""
