"""Each way out: SMTP sign-in (password, XOAUTH2), an email service via anymail, EMAIL_BACKEND."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused
from django.core import mail

from tiski.connectors import outbox
from tiski.connectors.email import oauth, outbound
from tiski.connectors.models import Mailbox, OutboundEmail, OutboundKind, OutboundStatus

from .test_outbound import CaptureHandler, free_port


@dataclass
class Gate:
    """Accepts one user name and password, or one XOAUTH2 string; records what came."""

    password: str = "salasanaä"
    token: str = "ya29.token"
    seen: list[tuple[str, str]] = field(default_factory=list)

    def __call__(self, server, session, envelope, mechanism, auth_data):
        if mechanism in ("LOGIN", "PLAIN"):
            login, password = auth_data.login.decode(), auth_data.password.decode()
            self.seen.append((mechanism, login))
            ok = login == "tuki@tiski.example" and password == self.password
            # handled=False: aiosmtpd answers the 535 itself.
            return AuthResult(success=ok, handled=False)
        return AuthResult(success=False, handled=False)


class XOAuthHandler(CaptureHandler):
    async def auth_XOAUTH2(self, server, args):  # noqa: N802 - aiosmtpd's naming
        sasl = base64.b64decode(args[-1]).decode()  # args: mechanism, initial response
        self.sasl = sasl
        ok = sasl == "user=tuki@tiski.example\x01auth=Bearer ya29.token\x01\x01"
        return AuthResult(success=ok, auth_data="xoauth2")


@pytest.fixture
def auth_server():
    gate = Gate()
    handler = XOAuthHandler(port=free_port())
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=handler.port,
        authenticator=gate,
        auth_require_tls=False,
        auth_required=True,
    )
    controller.start()
    handler.gate = gate
    try:
        yield handler
    finally:
        controller.stop()


def make_mailbox(**fields) -> Mailbox:
    fields.setdefault("address", "tuki@tiski.example")
    fields.setdefault("display_name", "Yritys Oy")
    return Mailbox.objects.create(**fields)


def queue(mailbox, ticket) -> OutboundEmail:
    row = outbox.queue_email(
        ticket=ticket,
        to=["maija@example.com"],
        subject="Tilaus",
        text="Tilauksesi on matkalla.",
        kind=OutboundKind.NOTIFICATION,
        automatic=False,
        mailbox=mailbox,
    )
    row.refresh_from_db()
    return row


def test_password_from_the_environment(transactional_db, auth_server, make_ticket, monkeypatch):
    monkeypatch.setenv("TISKI_TEST_SMTP_PASSWORD", "salasanaä")
    mailbox = make_mailbox(
        outbound_method="smtp",
        smtp_host="127.0.0.1",
        smtp_port=auth_server.port,
        smtp_security="none",
        smtp_username="tuki@tiski.example",
        smtp_password="env:TISKI_TEST_SMTP_PASSWORD",
    )
    row = queue(mailbox, make_ticket())
    assert row.status == OutboundStatus.SENT
    assert auth_server.gate.seen and auth_server.gate.seen[0][1] == "tuki@tiski.example"
    assert len(auth_server.received) == 1


def test_wrong_password_is_a_permanent_failure(transactional_db, auth_server, make_ticket):
    mailbox = make_mailbox(
        outbound_method="smtp",
        smtp_host="127.0.0.1",
        smtp_port=auth_server.port,
        smtp_security="none",
        smtp_username="tuki@tiski.example",
        smtp_password="väärä",
    )
    row = queue(mailbox, make_ticket())
    assert row.status == OutboundStatus.FAILED and row.permanent_failure
    assert row.last_error.startswith("Sign-in refused: 535")


def test_xoauth2_uses_the_oauth_helper(transactional_db, auth_server, make_ticket, monkeypatch):
    asked: list[int] = []

    def fake_token(mailbox):
        asked.append(mailbox.pk)
        return "ya29.token"

    monkeypatch.setattr(oauth, "access_token", fake_token)
    mailbox = make_mailbox(
        outbound_method="smtp",
        smtp_host="127.0.0.1",
        smtp_port=auth_server.port,
        smtp_security="none",
        auth_method="oauth_microsoft",
    )
    row = queue(mailbox, make_ticket())
    assert row.status == OutboundStatus.SENT, row.last_error
    assert asked == [mailbox.pk]
    assert auth_server.sasl == "user=tuki@tiski.example\x01auth=Bearer ya29.token\x01\x01"


def test_xoauth2_token_errors_keep_their_permanence(transactional_db, make_ticket, monkeypatch):
    def revoked(mailbox):
        raise oauth.OAuthError("invalid_grant", permanent=True)

    monkeypatch.setattr(oauth, "access_token", revoked)
    handler = CaptureHandler(port=free_port())
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port)
    controller.start()
    try:
        mailbox = make_mailbox(
            outbound_method="smtp",
            smtp_host="127.0.0.1",
            smtp_port=handler.port,
            smtp_security="none",
            auth_method="oauth_google",
        )
        row = queue(mailbox, make_ticket())
    finally:
        controller.stop()
    assert row.status == OutboundStatus.FAILED and row.permanent_failure
    assert "invalid_grant" in row.last_error


# --- email services through django-anymail ------------------------------------------------------


@pytest.mark.parametrize(
    ("esp", "attribute"),
    [("mailgun", "api_key"), ("postmark", "server_token"), ("sendgrid", "api_key")],
)
def test_esp_backend_gets_the_stored_key(db, esp, attribute):
    mailbox = make_mailbox(outbound_method="esp", esp=esp, esp_api_key="key-123")
    backend = outbound.esp_backend(mailbox)
    assert getattr(backend, attribute) == "key-123"
    assert type(backend).__module__ == f"anymail.backends.{esp}"


def test_esp_send_keeps_our_headers(transactional_db, make_ticket, monkeypatch):
    from anymail.backends.test import EmailBackend as AnymailTestBackend

    monkeypatch.setattr(outbound, "esp_backend", lambda mailbox: AnymailTestBackend())
    mailbox = make_mailbox(outbound_method="esp", esp="postmark", esp_api_key="key-123")
    row = queue(mailbox, make_ticket())
    assert row.status == OutboundStatus.SENT
    sent = mail.outbox[0]
    assert sent.extra_headers["Message-ID"] == f"<{row.rfc_message_id}>"
    assert sent.anymail_status.status == {"sent"}


class FakeResponse:
    reason = "Bad Request"
    text = "{}"

    def json(self):
        return {"Message": "Invalid 'To' address"}


@pytest.mark.parametrize(
    ("error", "permanent"),
    [
        (AnymailAPIError("rejected", status_code=422, response=FakeResponse()), True),
        (AnymailAPIError("server error", status_code=503, response=FakeResponse()), False),
        (AnymailAPIError("slow down", status_code=429, response=FakeResponse()), False),
        (AnymailAPIError("no answer"), False),
        (AnymailRecipientsRefused("all refused"), True),
    ],
)
def test_esp_errors_map_to_temporary_or_permanent(
    transactional_db, make_ticket, monkeypatch, error, permanent
):
    class Failing:
        def send_messages(self, messages):
            raise error

    monkeypatch.setattr(outbound, "esp_backend", lambda mailbox: Failing())
    mailbox = make_mailbox(outbound_method="esp", esp="mailgun", esp_api_key="k")
    row = queue(mailbox, make_ticket())
    expected = OutboundStatus.FAILED if permanent else OutboundStatus.RETRYING
    assert row.status == expected and row.permanent_failure is permanent


def test_django_email_backend(transactional_db, make_ticket):
    """The "server default" method uses EMAIL_BACKEND (locmem under tests)."""
    mailbox = make_mailbox(outbound_method="django")
    row = queue(mailbox, make_ticket())
    assert row.status == OutboundStatus.SENT
    assert mail.outbox[0].to == ["maija@example.com"]
    assert mail.outbox[0].from_email == "Yritys Oy <tuki@tiski.example>"
