""" "Send a test mail" and "Check the inbox": what happened, in plain words.

Both go through the channel's own transport (`outbound.deliver`, `imap.session`),
so a passing check means the real sending and polling code works with these
settings. Errors are turned into sentences an admin can act on; the technical
detail follows in parentheses for whoever helps them.
"""

from __future__ import annotations

import imaplib
import smtplib
import socket
import ssl
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMultiAlternatives
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from imapclient.exceptions import IMAPClientError, LoginError

from tiski.connectors.email import imap, outbound
from tiski.connectors.email.compose import formatted_address
from tiski.connectors.models import InboundMethod, Mailbox, OutboundMethod


@dataclass(frozen=True)
class Outcome:
    ok: bool
    message: str


def _causes(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    while exc is not None and exc not in chain:
        chain.append(exc)
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return chain


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def explain(exc: BaseException, host: str, port: int) -> str:
    """One sentence for a failed connection, the innermost known cause first."""
    where = {"host": host, "port": port}
    for cause in reversed(_causes(exc)):
        if isinstance(cause, ConnectionRefusedError):
            return (
                _(
                    "Connection refused: nothing answers at %(host)s port %(port)s. "
                    "Check the server name and the port."
                )
                % where
            )
        if isinstance(cause, socket.gaierror):
            return _("The server %(host)s was not found. Check the spelling of its name.") % where
        if isinstance(cause, TimeoutError | socket.timeout):
            return (
                _(
                    "%(host)s did not answer in time on port %(port)s. Check the port, and that "
                    "a firewall lets this server through."
                )
                % where
            )
        if isinstance(cause, ssl.SSLCertVerificationError):
            return _("The server's certificate is not trusted (%(detail)s).") % {
                "detail": cause.verify_message or cause
            }
        if isinstance(cause, ssl.SSLError):
            return _(
                "The secure connection failed (%(detail)s). Check the security setting: "
                "this port may expect TLS, STARTTLS or neither."
            ) % {"detail": cause.reason or cause}
        if isinstance(cause, smtplib.SMTPAuthenticationError):
            return _(
                "Login failed: the server did not accept the user name or password (%(detail)s)."
            ) % {"detail": f"{cause.smtp_code} {_text(cause.smtp_error)}"}
        if isinstance(cause, LoginError) or (
            isinstance(cause, imaplib.IMAP4.error)
            and any(w in str(cause).upper() for w in ("AUTH", "LOGIN", "CREDENTIALS"))
        ):
            return _(
                "Login failed: the server did not accept the user name or password (%(detail)s)."
            ) % {"detail": _text(cause.args[0]) if cause.args else cause}
        if isinstance(cause, smtplib.SMTPRecipientsRefused):
            return _("The server refused the recipient (%(detail)s).") % {
                "detail": "; ".join(
                    f"{addr}: {code} {_text(msg)}" for addr, (code, msg) in cause.recipients.items()
                )
            }
        if isinstance(cause, smtplib.SMTPNotSupportedError):
            return _("The server does not offer what these settings need (%(detail)s).") % {
                "detail": cause
            }
        if isinstance(cause, smtplib.SMTPResponseException):
            return _("The server refused the mail: %(detail)s.") % {
                "detail": f"{cause.smtp_code} {_text(cause.smtp_error)}"
            }
        if isinstance(cause, ImproperlyConfigured):
            return str(cause)
        if hasattr(cause, "permanent") and hasattr(cause, "message"):  # oauth.OAuthError
            return _("Signing in with Microsoft or Google failed: %(detail)s") % {
                "detail": cause.message
            }
    return _("It did not work: %(detail)s") % {"detail": f"{type(exc).__name__}: {exc}"}


def send_test_mail(mailbox: Mailbox, to: str) -> Outcome:
    """Send one short mail through the mailbox's own sending method, now."""
    email = EmailMultiAlternatives(
        subject=_("Tiski test mail from %(address)s") % {"address": mailbox.address},
        body=_(
            "This is a test mail sent from Tiski's settings. If you can read it, mail "
            "from %(address)s leaves the way it should."
        )
        % {"address": mailbox.address},
        from_email=formatted_address(mailbox.display_name, mailbox.address),
        to=[to],
        headers={"Auto-Submitted": "auto-generated"},
    )
    host, port = mailbox.smtp_host, mailbox.smtp_port
    try:
        refused = outbound.deliver(mailbox, email)
    except Exception as exc:  # noqa: BLE001 - every failure becomes a sentence
        if mailbox.outbound_method == OutboundMethod.ESP:
            return Outcome(False, _("The email service refused: %(detail)s") % {"detail": exc})
        return Outcome(False, explain(exc, host, port))
    if refused:
        return Outcome(
            False,
            _("The server refused the recipient (%(detail)s).")
            % {"detail": "; ".join(f"{a}: {r}" for a, r in refused.items())},
        )
    if mailbox.outbound_method == OutboundMethod.SMTP:
        return Outcome(
            True,
            _("Sent to %(to)s through %(host)s. Check that it arrived.") % {"to": to, "host": host},
        )
    return Outcome(True, _("Sent to %(to)s. Check that it arrived.") % {"to": to})


def check_inbox(mailbox: Mailbox) -> Outcome:
    """Sign in to the IMAP folder read-only and count what waits there."""
    if mailbox.inbound_method != InboundMethod.IMAP:
        return Outcome(
            False,
            _(
                "This mailbox does not fetch mail over IMAP (%(method)s): "
                "there is no inbox to check."
            )
            % {"method": mailbox.get_inbound_method_display()},
        )
    folder = mailbox.imap_folder or "INBOX"
    host, port = mailbox.imap_host, mailbox.imap_port
    try:
        with imap.session(mailbox) as client:
            try:
                selected = client.select_folder(folder, readonly=True)
            except IMAPClientError:
                return Outcome(
                    False,
                    _("Signed in, but the folder “%(folder)s” does not exist on the server.")
                    % {"folder": folder},
                )
            total = int(selected.get(b"EXISTS", 0))
            unseen = len(client.search(["UNSEEN"]))
    except Exception as exc:  # noqa: BLE001 - every failure becomes a sentence
        return Outcome(False, explain(exc, host, port))
    waiting = ngettext("%(count)d new message", "%(count)d new messages", unseen) % {
        "count": unseen
    }
    return Outcome(
        True,
        _("Signed in to %(host)s. %(folder)s has %(waiting)s (%(total)d in all).")
        % {"host": host, "folder": folder, "waiting": waiting, "total": total},
    )
