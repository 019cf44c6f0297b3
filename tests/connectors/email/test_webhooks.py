"""ESP inbound webhooks: verified, durable, exactly once, and bad payloads quarantined.

The payloads under tests/fixtures/email/webhooks/ are written in each
provider's documented format around one small Finnish customer email;
signatures are made fresh here (Mailgun HMAC, SNS with a test certificate
served by a fake ``_http_get``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tiski.connectors.email import webhooks
from tiski.connectors.models import InboundMethod, InboundReceipt, Mailbox, ReceiptStatus
from tiski.tickets.models import Attachment, Message, Ticket

WEBHOOKS = Path(__file__).resolve().parents[2] / "fixtures" / "email" / "webhooks"
SECRET = "w3bh00k-s1gning-k3y"
SUBJECT = "Tilaus 12345 ei ole vielä saapunut"


def payload(name: str) -> dict:
    return json.loads((WEBHOOKS / name).read_text(encoding="utf-8"))


@pytest.fixture
def mailbox(db) -> Mailbox:
    return Mailbox.objects.create(
        address="tuki@tiski.example",
        inbound_method=InboundMethod.WEBHOOK,
        webhook_secret=SECRET,
    )


def url(provider: str, mailbox: Mailbox) -> str:
    return reverse("email:inbound", args=[provider, mailbox.pk])


def basic(password: str = SECRET) -> dict[str, str]:
    token = base64.b64encode(f"tiski:{password}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


# --- Mailgun signing ---------------------------------------------------------------


def mailgun_signed(fields: dict, key: str = SECRET, at: float | None = None) -> dict:
    timestamp = str(int(time.time() if at is None else at))
    token = hashlib.sha256(f"{timestamp}{id(fields)}{time.perf_counter()}".encode()).hexdigest()
    signature = hmac.new(key.encode(), (timestamp + token).encode(), hashlib.sha256).hexdigest()
    return {**fields, "timestamp": timestamp, "token": token, "signature": signature}


# --- SNS signing -------------------------------------------------------------------


@pytest.fixture(scope="module")
def sns_key():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return key, cert.public_bytes(serialization.Encoding.PEM)


@pytest.fixture
def fake_aws(monkeypatch, sns_key):
    """Serves the test certificate and records every URL fetched."""
    fetched: list[str] = []

    def fake_get(url: str) -> bytes:
        fetched.append(url)
        if url.endswith(".pem"):
            return sns_key[1]
        return b"<ConfirmSubscriptionResponse/>"

    monkeypatch.setattr(webhooks, "_http_get", fake_get)
    monkeypatch.setattr(webhooks, "_cert_cache", {})
    return fetched


def sns_signed(envelope: dict, key, version: str = "1") -> dict:
    envelope = {**envelope, "SignatureVersion": version}
    algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()  # noqa: S303
    signature = key.sign(webhooks.sns_string_to_sign(envelope), padding.PKCS1v15(), algorithm)
    envelope["Signature"] = base64.b64encode(signature).decode()
    return envelope


# --- posting -----------------------------------------------------------------------


def post(client, provider, mailbox, case: str, sns_key=None, **extra):
    """Post one fixture the way its provider does (form or JSON), correctly signed."""
    target = url(provider, mailbox)
    if provider == "mailgun":
        return client.post(target, mailgun_signed(payload(case)), **extra)
    if provider == "sendgrid":
        return client.post(target, payload(case), **{**basic(), **extra})
    if provider == "postmark":
        body = payload(case)
        return client.post(target, body, content_type="application/json", **{**basic(), **extra})
    envelope = sns_signed(payload(case), sns_key[0])
    return client.post(
        target,
        json.dumps(envelope),
        content_type="text/plain; charset=UTF-8",
        HTTP_X_AMZ_SNS_MESSAGE_TYPE=envelope["Type"],
        **{**basic(), **extra},
    )


CASES = [
    ("mailgun", "mailgun_parsed.json"),
    ("mailgun", "mailgun_mime.json"),
    ("postmark", "postmark_inbound.json"),
    ("sendgrid", "sendgrid_parsed.json"),
    ("sendgrid", "sendgrid_raw.json"),
    ("amazon_ses", "ses_sns_notification.json"),
]


@pytest.mark.parametrize(("provider", "case"), CASES)
def test_delivery_becomes_a_ticket(
    client, mailbox, fake_aws, sns_key, django_capture_on_commit_callbacks, provider, case
):
    """A signed delivery answers 200 after the receipt commits, and the intake makes a ticket."""
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, provider, mailbox, case, sns_key)
    assert response.status_code == 200
    receipt = InboundReceipt.objects.get()
    assert receipt.source == f"webhook:{provider}"
    assert receipt.key.startswith(f"{mailbox.pk}:")
    assert receipt.status == ReceiptStatus.PROCESSED, receipt.reason
    ticket = Ticket.objects.get()
    assert ticket.subject == SUBJECT
    assert ticket.requester.name == "Maija Meikäläinen"
    message = Message.objects.get()
    assert "kaksi työtuolia" in message.text
    assert message.external_id == "CAJ7yX2pQ3m_webhook-test-1@mail.example.com"


def test_postmark_attachment_is_kept(client, mailbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, "postmark", mailbox, "postmark_inbound.json").status_code == 200
    attachment = Attachment.objects.get()
    assert attachment.filename == "kuitti-12345.txt"


def test_postmark_raw_email_is_used_when_included(client, mailbox):
    """With "include raw email content" the message is stored byte for byte."""
    raw = (WEBHOOKS / "message.eml").read_bytes()
    body = {**payload("postmark_inbound.json"), "RawEmail": raw.decode()}
    response = client.post(
        url("postmark", mailbox), body, content_type="application/json", **basic()
    )
    assert response.status_code == 200
    receipt = InboundReceipt.objects.get()
    assert receipt.key == f"{mailbox.pk}:postmark:5b6f2c1e-7a3d-4c8e-9f10-2a3b4c5d6e7f"
    with receipt.raw.open("rb") as handle:
        assert handle.read() == raw


def test_ses_key_is_the_ses_message_id(client, mailbox, fake_aws, sns_key):
    assert post(client, "amazon_ses", mailbox, "ses_sns_notification.json", sns_key).status_code
    receipt = InboundReceipt.objects.get()
    assert receipt.key == f"{mailbox.pk}:ses:o3vrnil0e2ic28trm7dfhrc2v0cnbeccl4nbp0g01"
    assert fake_aws == [payload("ses_sns_notification.json")["SigningCertURL"]]


def test_ses_signature_version_2(client, mailbox, fake_aws, sns_key):
    envelope = sns_signed(payload("ses_sns_notification.json"), sns_key[0], version="2")
    response = client.post(
        url("amazon_ses", mailbox), json.dumps(envelope), content_type="text/plain", **basic()
    )
    assert response.status_code == 200 and InboundReceipt.objects.count() == 1


# --- rejected: 403 and nothing stored ------------------------------------------------


def test_mailgun_wrong_key_is_rejected(client, mailbox):
    fields = mailgun_signed(payload("mailgun_parsed.json"), key="someone-elses-key")
    assert client.post(url("mailgun", mailbox), fields).status_code == 403
    assert not InboundReceipt.objects.exists()


def test_mailgun_stale_timestamp_is_rejected(client, mailbox):
    """A correctly signed but 20-minute-old request is a replay."""
    fields = mailgun_signed(payload("mailgun_parsed.json"), at=time.time() - 20 * 60)
    assert client.post(url("mailgun", mailbox), fields).status_code == 403
    assert not InboundReceipt.objects.exists()


def test_mailgun_without_signature_is_rejected(client, mailbox):
    fields = {k: v for k, v in payload("mailgun_parsed.json").items() if k != "signature"}
    assert client.post(url("mailgun", mailbox), fields).status_code == 403


@pytest.mark.parametrize("auth", [{}, basic("wrong"), {"HTTP_AUTHORIZATION": "Basic %%%"}])
@pytest.mark.parametrize("provider", ["postmark", "sendgrid"])
def test_basic_auth_providers_reject_wrong_or_missing_password(client, mailbox, provider, auth):
    data = payload("postmark_inbound.json" if provider == "postmark" else "sendgrid_raw.json")
    kwargs = {"content_type": "application/json"} if provider == "postmark" else {}
    response = client.post(url(provider, mailbox), data, **kwargs, **auth)
    assert response.status_code == 403
    assert not InboundReceipt.objects.exists()


def test_mailbox_without_secret_rejects_everything(client, mailbox):
    Mailbox.objects.filter(pk=mailbox.pk).update(webhook_secret="")
    response = client.post(
        url("postmark", mailbox),
        payload("postmark_inbound.json"),
        content_type="application/json",
        **basic(""),
    )
    assert response.status_code == 403


def test_ses_tampered_message_is_rejected(client, mailbox, fake_aws, sns_key):
    envelope = sns_signed(payload("ses_sns_notification.json"), sns_key[0])
    envelope["Message"] = envelope["Message"].replace("PASS", "FAIL")
    response = client.post(
        url("amazon_ses", mailbox), json.dumps(envelope), content_type="text/plain", **basic()
    )
    assert response.status_code == 403 and not InboundReceipt.objects.exists()


def test_ses_without_basic_auth_is_rejected_even_when_sns_signed(
    client, mailbox, fake_aws, sns_key
):
    """An SNS signature proves SNS, not our topic: the secret is required too."""
    envelope = sns_signed(payload("ses_sns_notification.json"), sns_key[0])
    response = client.post(
        url("amazon_ses", mailbox), json.dumps(envelope), content_type="text/plain"
    )
    assert response.status_code == 403 and not InboundReceipt.objects.exists()
    assert fake_aws == []


@pytest.mark.parametrize(
    "cert_url",
    [
        "https://sns.eu-north-1.amazonaws.com.evil.example/cert.pem",
        "http://sns.eu-north-1.amazonaws.com/cert.pem",
        "https://evil.example/sns.eu-north-1.amazonaws.com/cert.pem",
        "https://s3.amazonaws.com/cert.pem",
    ],
)
def test_ses_certificate_must_come_from_an_sns_host(client, mailbox, fake_aws, sns_key, cert_url):
    envelope = sns_signed(
        {**payload("ses_sns_notification.json"), "SigningCertURL": cert_url}, sns_key[0]
    )
    response = client.post(
        url("amazon_ses", mailbox), json.dumps(envelope), content_type="text/plain", **basic()
    )
    assert response.status_code == 403 and fake_aws == []


def test_ses_unreachable_certificate_asks_for_a_retry(client, mailbox, monkeypatch, sns_key):
    def down(url: str) -> bytes:
        raise OSError("network unreachable")

    monkeypatch.setattr(webhooks, "_http_get", down)
    monkeypatch.setattr(webhooks, "_cert_cache", {})
    response = post(client, "amazon_ses", mailbox, "ses_sns_notification.json", sns_key)
    assert response.status_code == 503 and not InboundReceipt.objects.exists()


# --- SNS subscription ----------------------------------------------------------------


def test_sns_subscription_is_confirmed_through_the_http_function(
    client, mailbox, fake_aws, sns_key
):
    response = post(client, "amazon_ses", mailbox, "ses_sns_subscription.json", sns_key)
    assert response.status_code == 200
    subscribe_url = payload("ses_sns_subscription.json")["SubscribeURL"]
    assert fake_aws[-1] == subscribe_url
    assert not InboundReceipt.objects.exists()


def test_sns_subscription_to_a_foreign_host_is_not_followed(client, mailbox, fake_aws, sns_key):
    envelope = sns_signed(
        {
            **payload("ses_sns_subscription.json"),
            "SubscribeURL": "https://attacker.example/?Action=ConfirmSubscription",
        },
        sns_key[0],
    )
    response = client.post(
        url("amazon_ses", mailbox), json.dumps(envelope), content_type="text/plain", **basic()
    )
    assert response.status_code == 403
    assert not any("attacker" in fetched for fetched in fake_aws)


# --- duplicates ----------------------------------------------------------------------


@pytest.mark.parametrize(("provider", "case"), CASES)
def test_repeated_delivery_stores_nothing_new(
    client, mailbox, fake_aws, sns_key, django_capture_on_commit_callbacks, provider, case
):
    """A provider's retry (freshly signed, for Mailgun) answers 200 and adds nothing."""
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, provider, mailbox, case, sns_key).status_code == 200
        assert post(client, provider, mailbox, case, sns_key).status_code == 200
    assert InboundReceipt.objects.count() == 1
    assert Ticket.objects.count() == 1 and Message.objects.count() == 1


def test_same_mail_to_two_mailboxes_makes_one_ticket(
    client, mailbox, django_capture_on_commit_callbacks
):
    other = Mailbox.objects.create(address="myynti@tiski.example", webhook_secret=SECRET)
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, "postmark", mailbox, "postmark_inbound.json").status_code == 200
        assert post(client, "postmark", other, "postmark_inbound.json").status_code == 200
    assert InboundReceipt.objects.count() == 2
    assert Ticket.objects.count() == 1
    assert InboundReceipt.objects.filter(status=ReceiptStatus.DUPLICATE).count() == 1


# --- unknown payloads: 200 and quarantine --------------------------------------------


def test_unknown_postmark_record_is_quarantined(client, mailbox):
    body = {"RecordType": "Bounce", "ID": 4323372036854775807, "Type": "HardBounce"}
    response = client.post(
        url("postmark", mailbox), body, content_type="application/json", **basic()
    )
    assert response.status_code == 200
    receipt = InboundReceipt.objects.get()
    assert receipt.status == ReceiptStatus.QUARANTINED
    assert "not an Inbound record" in receipt.reason
    with receipt.raw.open("rb") as handle:
        assert json.loads(handle.read()) == body
    assert not Ticket.objects.exists()
    # The provider's retry of the same payload adds nothing.
    client.post(url("postmark", mailbox), body, content_type="application/json", **basic())
    assert InboundReceipt.objects.count() == 1


def test_mailgun_form_without_message_is_quarantined(client, mailbox):
    fields = mailgun_signed({"recipient": "tuki@tiski.example", "event": "something-else"})
    fields["attachment-1"] = SimpleUploadedFile("x.bin", b"\x00\x01", "application/octet-stream")
    assert client.post(url("mailgun", mailbox), fields).status_code == 200
    receipt = InboundReceipt.objects.get()
    assert receipt.status == ReceiptStatus.QUARANTINED
    with receipt.raw.open("rb") as handle:
        dumped = json.loads(handle.read())
    assert dumped["fields"]["event"] == ["something-else"]
    assert dumped["files"]["attachment-1"][0]["name"] == "x.bin"


def test_ses_s3_action_is_quarantined(client, mailbox, fake_aws, sns_key):
    envelope = payload("ses_sns_notification.json")
    message = json.loads(envelope["Message"])
    del message["content"]
    message["receipt"]["action"] = {"type": "S3", "bucketName": "tiski-mail", "objectKey": "x"}
    envelope = sns_signed({**envelope, "Message": json.dumps(message)}, sns_key[0])
    response = client.post(
        url("amazon_ses", mailbox), json.dumps(envelope), content_type="text/plain", **basic()
    )
    assert response.status_code == 200
    receipt = InboundReceipt.objects.get()
    assert receipt.status == ReceiptStatus.QUARANTINED and "S3" in receipt.reason


# --- routing -------------------------------------------------------------------------


def test_unknown_provider_and_mailbox_are_404(client, mailbox):
    assert client.post(f"/email/inbound/sparkpost/{mailbox.pk}/").status_code == 404
    assert client.post("/email/inbound/postmark/999999/").status_code == 404


def test_only_post(client, mailbox):
    assert client.get(url("postmark", mailbox)).status_code == 405


def test_too_large_json_is_refused(client, mailbox):
    Mailbox.objects.filter(pk=mailbox.pk).update(max_message_bytes=1000)
    body = {**payload("postmark_inbound.json"), "TextBody": "x" * 3_000_000}
    response = client.post(
        url("postmark", mailbox), body, content_type="application/json", **basic()
    )
    assert response.status_code == 413 and not InboundReceipt.objects.exists()
