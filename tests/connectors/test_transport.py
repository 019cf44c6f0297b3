"""The one HTTP helper: classification of answers, limits, and the private-address refusal."""

from __future__ import annotations

import pytest

from tiski.connectors import transport
from tiski.connectors.transport import TransportError


def test_json_post_reaches_the_server(fake_api):
    """A JSON body is sent with its content type and the answer is read back."""
    response = transport.request("POST", fake_api.url + "/send", json={"a": 1})
    assert response.status == 200 and response.json()["id"] == "prov-1"
    sent = fake_api.requests[0]
    assert sent["headers"]["Content-Type"] == "application/json" and sent["body"] == '{"a": 1}'


def test_server_error_is_temporary_with_retry_after(fake_api):
    fake_api.answer((503, {"error": "down"}, {"Retry-After": "120"}))
    with pytest.raises(TransportError) as caught:
        transport.request("POST", fake_api.url, json={})
    assert not caught.value.permanent and caught.value.retry_after == 120.0


def test_throttling_is_temporary(fake_api):
    fake_api.answer((429, {}))
    with pytest.raises(TransportError) as caught:
        transport.request("GET", fake_api.url)
    assert not caught.value.permanent


def test_client_error_is_permanent_and_says_why(fake_api):
    fake_api.answer((400, {"message": "invalid number"}))
    with pytest.raises(TransportError) as caught:
        transport.request("POST", fake_api.url, json={})
    assert caught.value.permanent and "HTTP 400" in str(caught.value)
    assert "invalid number" in str(caught.value)


def test_unchecked_answer_is_returned(fake_api):
    fake_api.answer((404, b"nope"))
    assert transport.request("GET", fake_api.url, check=False).status == 404


def test_oversized_answer_is_refused(fake_api):
    fake_api.answer((200, b"x" * 5000))
    with pytest.raises(TransportError) as caught:
        transport.request("GET", fake_api.url, max_bytes=1000)
    assert caught.value.permanent


def test_nobody_listening_is_temporary(fake_api):
    url = fake_api.url
    fake_api.close()
    with pytest.raises(TransportError) as caught:
        transport.request("GET", url, timeout=2)
    assert not caught.value.permanent


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/",
        "http://localhost:9/",
        "http://169.254.169.254/latest/",
        "http://10.1.2.3/",
    ],
)
def test_private_addresses_are_refused_before_connecting(settings, url):
    """Without TISKI_HTTP_ALLOW_PRIVATE no request reaches loopback, link-local or private nets."""
    settings.TISKI_HTTP_ALLOW_PRIVATE = False
    with pytest.raises(TransportError) as caught:
        transport.request("GET", url, timeout=2)
    assert caught.value.permanent and "refused" in str(caught.value)


def test_refusal_stops_a_real_server_being_reached(settings, fake_api):
    settings.TISKI_HTTP_ALLOW_PRIVATE = False
    with pytest.raises(TransportError):
        transport.request("POST", fake_api.url, json={})
    assert fake_api.requests == []


def test_only_http_urls():
    with pytest.raises(TransportError) as caught:
        transport.request("GET", "file:///etc/passwd")
    assert caught.value.permanent


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("192.168.1.1", False),
        ("::1", False),
        ("::ffff:127.0.0.1", False),
        ("fe80::1", False),
        ("2a00:1450:4010:c05::64", True),
        ("0.0.0.0", False),
    ],
)
def test_public_address_rule(address, public):
    assert transport.is_public_address(address) is public
