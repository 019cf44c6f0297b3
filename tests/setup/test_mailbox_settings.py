"""Settings → Mailboxes: forms that say what is wrong, secrets kept and masked, and the
two checks against a real Dovecot and a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.connectors.email.dovecot import PASSWORD as IMAP_PASSWORD
from tests.connectors.email.test_outbound import free_port
from tiski.connectors.models import Mailbox
from tiski.setup.models import SettingChange

from .conftest import last_change

NEW = reverse("setup:mailbox-new")


def post_data(**overrides) -> dict:
    data = {
        "address": "Tuki@Yritys.fi",
        "display_name": "Yritys Oy",
        "active": "on",
        "signature": "Terveisin\nYritys Oy",
        "auth_method": "password",
        "inbound_method": "none",
        "imap_port": "993",
        "imap_security": "tls",
        "imap_folder": "INBOX",
        "imap_idle": "on",
        "outbound_method": "django",
        "smtp_port": "587",
        "smtp_security": "starttls",
        "thread_by_subject_days": "0",
        "max_message_bytes": str(25 * 1024 * 1024),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.parametrize("name", ["setup:mailboxes", "setup:mailbox-new"])
def test_agents_get_403_and_admins_the_page(agent_client, admin_client, name):
    assert agent_client.get(reverse(name)).status_code == 403
    assert admin_client.get(reverse(name)).status_code == 200


def test_agent_cannot_run_the_checks(agent_client, db):
    mailbox = Mailbox.objects.create(address="tuki@yritys.fi")
    for name in ("setup:mailbox-test-send", "setup:mailbox-check-inbox", "setup:mailbox-edit"):
        response = agent_client.post(reverse(name, args=[mailbox.pk]), {"to": "x@example.com"})
        assert response.status_code == 403


def test_add_mailbox_is_saved_lowercased_and_logged(admin_client, admin, make_team):
    team = make_team("Myynti")
    response = admin_client.post(NEW, post_data(default_team=str(team.pk)))
    mailbox = Mailbox.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("setup:mailbox-edit", args=[mailbox.pk])
    assert mailbox.address == "tuki@yritys.fi"
    assert mailbox.default_team == team
    change = last_change("mailboxes")
    assert change.action == "created" and change.actor == admin
    assert change.object_label == "tuki@yritys.fi"
    assert change.changes["default_team"] == [None, "Myynti"]


def test_imap_without_server_or_password_says_what_is_missing(admin_client):
    response = admin_client.post(NEW, post_data(inbound_method="imap"))
    assert response.status_code == 400
    text = response.content.decode()
    assert "Give the IMAP server, e.g. imap.example.com." in text
    assert "Give the user name for the IMAP server." in text
    assert "Give the password for the IMAP server." in text
    assert not Mailbox.objects.exists()
    assert not SettingChange.objects.exists()


def test_unknown_placeholder_in_the_acknowledgement_is_named(admin_client):
    response = admin_client.post(
        NEW,
        post_data(auto_acknowledge="on", ack_body_fi="Hei {{ asiakas.nimi }}, kiitos viestistä."),
    )
    assert response.status_code == 400
    assert "{{ asiakas.nimi }} is not a placeholder Tiski knows" in response.content.decode()


def test_password_is_encrypted_kept_when_empty_and_masked_in_the_log(admin_client, db):
    admin_client.post(
        NEW,
        post_data(
            inbound_method="imap",
            imap_host="imap.yritys.fi",
            imap_username="tuki",
            imap_password="salasana-1",
        ),
    )
    mailbox = Mailbox.objects.get()
    assert mailbox.imap_password == "salasana-1"
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT imap_password FROM comms_mailbox WHERE id = %s", [mailbox.pk])
        assert cursor.fetchone()[0].startswith("fernet:")
    created = last_change("mailboxes")
    assert created.changes["imap_password"] == ["", "••••••"]
    assert "salasana-1" not in str(created.changes)

    edit = reverse("setup:mailbox-edit", args=[mailbox.pk])
    page = admin_client.get(edit).content.decode()
    assert "salasana-1" not in page  # never rendered back
    admin_client.post(
        edit,
        post_data(
            display_name="Tuki",
            inbound_method="imap",
            imap_host="imap.yritys.fi",
            imap_username="tuki",
            imap_password="",
        ),
    )
    mailbox.refresh_from_db()
    assert mailbox.imap_password == "salasana-1"
    changed = last_change("mailboxes")
    assert changed.action == "changed"
    assert "imap_password" not in changed.changes
    assert changed.changes["display_name"] == ["Yritys Oy", "Tuki"]


def test_test_mail_reaches_the_smtp_server(admin_client, smtp_server, settings):
    settings.TISKI_SMTP_TIMEOUT = 5
    mailbox = Mailbox.objects.create(
        address="tuki@yritys.fi",
        outbound_method="smtp",
        smtp_host="127.0.0.1",
        smtp_port=smtp_server.port,
        smtp_security="none",
    )
    response = admin_client.post(
        reverse("setup:mailbox-test-send", args=[mailbox.pk]),
        {"to": "anna@example.com"},
        HTTP_HX_REQUEST="true",
    )
    text = response.content.decode()
    assert "It works." in text
    assert "Sent to anna@example.com through 127.0.0.1" in text
    [mail] = smtp_server.received
    assert mail.rcpt_tos == ["anna@example.com"]
    assert mail.mail_from == "tuki@yritys.fi"


def test_test_mail_to_a_closed_port_says_connection_refused(admin_client, db, settings):
    settings.TISKI_SMTP_TIMEOUT = 5
    port = free_port()  # nothing listens there
    mailbox = Mailbox.objects.create(
        address="tuki@yritys.fi",
        outbound_method="smtp",
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_security="none",
    )
    response = admin_client.post(
        reverse("setup:mailbox-test-send", args=[mailbox.pk]),
        {"to": "anna@example.com"},
        HTTP_HX_REQUEST="true",
    )
    text = response.content.decode()
    assert "It did not work." in text
    assert f"Connection refused: nothing answers at 127.0.0.1 port {port}" in text


def test_test_mail_needs_an_address(admin_client, db):
    mailbox = Mailbox.objects.create(address="tuki@yritys.fi")
    response = admin_client.post(
        reverse("setup:mailbox-test-send", args=[mailbox.pk]),
        {"to": "ei osoite"},
        HTTP_HX_REQUEST="true",
    )
    assert "Give the address to send the test mail to" in response.content.decode()


def test_check_inbox_counts_new_messages_in_dovecot(admin_client, dovecot, transactional_db):
    user = dovecot.add_user()
    for n in range(3):
        dovecot.append(user, f"Subject: Viesti {n}\r\nFrom: a@example.com\r\n\r\nHei\r\n".encode())
    mailbox = Mailbox.objects.create(address="tuki@yritys.fi", **dovecot.mailbox_fields(user))
    response = admin_client.post(
        reverse("setup:mailbox-check-inbox", args=[mailbox.pk]), HTTP_HX_REQUEST="true"
    )
    text = response.content.decode()
    assert "It works." in text
    assert "INBOX has 3 new messages (3 in all)." in text
    # Checking reads nothing as seen: the poller still gets all three.
    with dovecot.client(user) as client:
        client.select_folder("INBOX", readonly=True)
        assert len(client.search(["UNSEEN"])) == 3


def test_check_inbox_with_a_wrong_password_says_login_failed(
    admin_client, dovecot, transactional_db
):
    user = dovecot.add_user()
    fields = dovecot.mailbox_fields(user, password=IMAP_PASSWORD + "-väärä")
    mailbox = Mailbox.objects.create(address="tuki@yritys.fi", **fields)
    response = admin_client.post(
        reverse("setup:mailbox-check-inbox", args=[mailbox.pk]), HTTP_HX_REQUEST="true"
    )
    text = response.content.decode()
    assert "It did not work." in text
    assert "Login failed: the server did not accept the user name or password" in text


def test_check_inbox_with_a_missing_folder_names_it(admin_client, dovecot, transactional_db):
    user = dovecot.add_user()
    mailbox = Mailbox.objects.create(
        address="tuki@yritys.fi", **dovecot.mailbox_fields(user), imap_folder="Asiakkaat"
    )
    response = admin_client.post(
        reverse("setup:mailbox-check-inbox", args=[mailbox.pk]), HTTP_HX_REQUEST="true"
    )
    assert "the folder “Asiakkaat” does not exist on the server" in response.content.decode()


def test_check_inbox_of_a_mailbox_without_imap_explains(admin_client, db):
    mailbox = Mailbox.objects.create(address="tuki@yritys.fi")
    response = admin_client.post(reverse("setup:mailbox-check-inbox", args=[mailbox.pk]))
    assert response.status_code == 302  # without htmx: back to the page with a message
    page = admin_client.get(response["Location"]).content.decode()
    assert "does not fetch mail over IMAP" in page


def test_oauth_sign_in_returns_to_the_settings_page(admin_client, db):
    mailbox = Mailbox.objects.create(
        address="tuki@yritys.fi", auth_method="oauth_google", oauth_client_id="abc"
    )
    edit = reverse("setup:mailbox-edit", args=[mailbox.pk])
    page = admin_client.get(edit).content.decode()
    assert "Sign in with Google" in page
    response = admin_client.get(reverse("email:oauth-connect", args=[mailbox.pk]) + f"?next={edit}")
    assert response.status_code == 302
    assert response["Location"].startswith("https://accounts.google.com/")
    state = next(iter(admin_client.session["tiski_oauth_flows"]))
    back = admin_client.get(reverse("email:oauth-callback") + f"?state={state}&error=access_denied")
    assert back["Location"] == edit


def test_oauth_next_must_be_local(admin_client, db):
    mailbox = Mailbox.objects.create(
        address="tuki@yritys.fi", auth_method="oauth_google", oauth_client_id="abc"
    )
    admin_client.get(
        reverse("email:oauth-connect", args=[mailbox.pk]) + "?next=https://evil.example/"
    )
    state = next(iter(admin_client.session["tiski_oauth_flows"]))
    back = admin_client.get(reverse("email:oauth-callback") + f"?state={state}&error=x")
    assert back["Location"] == reverse("admin:comms_mailbox_change", args=[mailbox.pk])


def test_webhook_mailbox_shows_the_addresses_to_give_the_email_service(admin_client, db):
    mailbox = Mailbox.objects.create(address="tuki@yritys.fi", inbound_method="webhook")
    page = admin_client.get(reverse("setup:mailbox-edit", args=[mailbox.pk])).content.decode()
    assert f"http://testserver/email/inbound/postmark/{mailbox.pk}/" in page


def test_saving_without_changes_writes_no_log_entry(admin_client, db):
    admin_client.post(
        NEW,
        post_data(
            inbound_method="imap",
            imap_host="imap.yritys.fi",
            imap_username="tuki",
            imap_password="salasana-1",
        ),
    )
    mailbox = Mailbox.objects.get()
    before = SettingChange.objects.count()
    response = admin_client.post(
        reverse("setup:mailbox-edit", args=[mailbox.pk]),
        post_data(
            address="tuki@yritys.fi",
            inbound_method="imap",
            imap_host="imap.yritys.fi",
            imap_username="tuki",
            imap_password="",
        ),
    )
    assert response.status_code == 302
    assert SettingChange.objects.count() == before
