"""The portal's optional password: set once signed in, then a second way in."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import identify_hasher
from django.core.cache import cache

from tiski.knowledge.models import HelpCentreSettings
from tiski.portal.models import PortalPassword

from .test_customer_portal import _signed_in, liisa_ticket, other_ticket  # noqa: F401 - fixtures

GOOD = "Kahvi-kuppi-2026-vihreä"
ADDRESS = "liisa@asiakas.example"


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()


def _set(client, password: str = GOOD, again: str | None = None):
    return client.post(
        "/help/fi/portal/password/",
        {"password": password, "password_again": password if again is None else again},
    )


def _password_sign_in(client, password: str = GOOD, address: str = ADDRESS, ip: str = "10.0.0.1"):
    return client.post(
        "/help/fi/portal/",
        {"action": "password", "email": address, "password": password},
        REMOTE_ADDR=ip,
    )


def test_customer_sets_a_password_and_signs_in_with_it(client, liisa_ticket):  # noqa: F811
    _signed_in(client, ADDRESS)
    assert (
        client.get("/help/fi/portal/requests/").content.decode().count("/help/fi/portal/password/")
    )
    response = _set(client)
    assert response.status_code == 302
    stored = PortalPassword.objects.get(contact=liisa_ticket.requester)
    assert GOOD not in stored.password and identify_hasher(stored.password)
    client.post("/help/fi/portal/logout/")
    assert client.get("/help/fi/portal/requests/").status_code == 302
    signed_in = _password_sign_in(client, address=ADDRESS.upper())
    assert signed_in.status_code == 302 and signed_in["Location"] == "/help/fi/portal/requests/"
    assert liisa_ticket.subject in client.get("/help/fi/portal/requests/").content.decode()


def test_weak_or_mismatched_password_is_refused(client, liisa_ticket):  # noqa: F811
    _signed_in(client, ADDRESS)
    assert _set(client, "lyhyt").status_code == 400
    assert _set(client, "password123").status_code == 400  # a common password
    assert _set(client, "liisa@asiakas.example").status_code == 400  # like the address
    assert _set(client, GOOD, again=GOOD + "x").status_code == 400
    assert not PortalPassword.objects.exists()


def test_wrong_password_and_unknown_address_get_the_same_answer(client, liisa_ticket):  # noqa: F811
    _signed_in(client, ADDRESS)
    _set(client)
    client.post("/help/fi/portal/logout/")
    wrong = _password_sign_in(client, "väärä-salasana")
    unknown = _password_sign_in(client, GOOD, address="ei.ketaan@example.fi")
    assert wrong.status_code == unknown.status_code == 400
    assert wrong.content.decode().count("hc-error") == unknown.content.decode().count("hc-error")
    assert client.get("/help/fi/portal/requests/").status_code == 302


def test_failed_attempts_are_limited_per_address_and_per_ip(client, liisa_ticket, other_ticket):  # noqa: F811
    _signed_in(client, ADDRESS)
    _set(client)
    client.post("/help/fi/portal/logout/")
    for _attempt in range(5):
        assert _password_sign_in(client, "väärä", ip="10.0.0.1").status_code == 400
    # The address is locked, from another IP too, even with the right password.
    assert _password_sign_in(client, GOOD, ip="10.0.0.2").status_code == 429
    assert client.get("/help/fi/portal/requests/").status_code == 302
    # The IP is locked for other addresses as well.
    cache.clear()
    for n in range(5):
        _password_sign_in(client, "väärä", address=f"arvaus{n}@example.fi", ip="10.0.0.3")
    assert _password_sign_in(client, GOOD, ip="10.0.0.3").status_code == 429
    # The emailed link still works: "forgot password" is the link.
    _signed_in(client, ADDRESS)
    assert client.get("/help/fi/portal/requests/").status_code == 200


def test_admin_turns_passwords_off_then_only_links_sign_in(client, liisa_ticket):  # noqa: F811
    _signed_in(client, ADDRESS)
    _set(client)
    client.post("/help/fi/portal/logout/")
    row = HelpCentreSettings.load()
    row.portal_passwords = False
    row.save()
    login = client.get("/help/fi/portal/").content.decode()
    assert 'name="password"' not in login
    # A password posted anyway is not looked at: the form sends a link instead.
    response = _password_sign_in(client)
    assert response.status_code == 200 and 'id="portal-sent"' in response.content.decode()
    assert client.get("/help/fi/portal/requests/").status_code == 302
    _signed_in(client, ADDRESS)
    assert client.get("/help/fi/portal/password/").status_code == 404
    assert (
        "/help/fi/portal/password/" not in client.get("/help/fi/portal/requests/").content.decode()
    )


def test_password_page_needs_a_signed_in_customer(client, liisa_ticket):  # noqa: F811
    response = client.post("/help/fi/portal/password/", {"password": GOOD, "password_again": GOOD})
    assert response.status_code == 302 and response["Location"] == "/help/fi/portal/"
    assert not PortalPassword.objects.exists()


def test_customer_removes_the_password(client, liisa_ticket):  # noqa: F811
    _signed_in(client, ADDRESS)
    _set(client)
    assert client.post("/help/fi/portal/password/", {"action": "remove"}).status_code == 302
    assert not PortalPassword.objects.exists()
    client.post("/help/fi/portal/logout/")
    assert _password_sign_in(client).status_code == 400


def test_admin_setting_is_on_the_help_centre_page(client, admin_user, db):
    client.force_login(admin_user)
    page = client.get("/settings/help-centre/").content.decode()
    assert 'name="portal_passwords"' in page
    client.post("/settings/help-centre/", {"name": "", "colour": "#1f5fa8"})
    assert HelpCentreSettings.load().portal_passwords is False


def test_changing_the_password_signs_other_browsers_out(liisa_ticket):  # noqa: F811
    from django.test import Client

    here, elsewhere = Client(), Client()
    _signed_in(here, ADDRESS)
    _signed_in(elsewhere, ADDRESS)
    assert _set(here).status_code == 302
    # The browser that set it stays in; the other one is out.
    assert here.get("/help/fi/portal/requests/").status_code == 200
    assert elsewhere.get("/help/fi/portal/requests/").status_code == 302
    # Signed in again with the password, then the password is changed elsewhere.
    assert _password_sign_in(elsewhere).status_code == 302
    assert _set(here, GOOD + "-uusi").status_code == 302
    assert elsewhere.get("/help/fi/portal/requests/").status_code == 302
    assert here.get("/help/fi/portal/requests/").status_code == 200
