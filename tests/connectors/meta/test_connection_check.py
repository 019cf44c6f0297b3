"""Settings → Messenger and Instagram → Check connection: the page token asked about
its page or account on the loopback Graph API, and Meta's errors as sentences."""

from __future__ import annotations

import json
import socket

import pytest
from django.urls import reverse

from .conftest import ACCESS_TOKEN, IG_ID, PAGE_ID

pytestmark = pytest.mark.django_db(transaction=True)


def check(client, account):
    response = client.post(reverse("setup:meta-account-check", args=[account.pk]), follow=True)
    assert response.status_code == 200
    return response.content.decode()


def graph_error(code: int, message: str, subcode: int | None = None, status: int = 400):
    error = {"message": message, "type": "OAuthException", "code": code}
    if subcode:
        error["error_subcode"] = subcode
    return (status, json.dumps({"error": error}).encode(), {})


def test_a_working_page_token_names_its_page(admin_client, page, graph):
    graph.routes["/me?fields=id,name"] = (
        200, json.dumps({"id": PAGE_ID, "name": "Papumylly"}).encode(), {},
    )  # fmt: skip
    html = check(admin_client, page)
    assert "flash-success" in html and "Connected: the token belongs to the page Papumylly." in html
    asked = graph.requests[-1]
    assert asked["method"] == "GET" and asked["path"] == "/v21.0/me?fields=id,name"
    assert asked["headers"]["Authorization"] == f"Bearer {ACCESS_TOKEN}"


def test_the_token_of_another_page_is_said(admin_client, page, graph):
    graph.routes["/me?fields=id,name"] = (
        200, json.dumps({"id": "999000111", "name": "Toinen sivu"}).encode(), {},
    )  # fmt: skip
    html = check(admin_client, page)
    assert "flash-error" in html and "another page, Toinen sivu (999000111)" in html


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        (graph_error(190, "Error validating access token: Session has expired", 463),
         "The access token has expired"),
        (graph_error(190, "Invalid OAuth access token - Cannot parse access token"),
         "Meta does not accept the access token"),
        (graph_error(10, "(#10) Requires pages_messaging permission", status=403),
         "no permission for Facebook page 104512345678901: it needs pages_messaging"),
        (graph_error(2, "Service temporarily unavailable", status=503),
         "Meta is busy or down"),
    ],
)  # fmt: skip
def test_metas_errors_are_explained(admin_client, page, graph, answer, words):
    graph.routes["/me?fields=id,name"] = answer
    html = check(admin_client, page)
    assert "flash-error" in html and words in html
    # Meta's own words follow for whoever helps.
    assert json.loads(answer[1])["error"]["message"].split(":")[0] in html


def test_instagram_asks_for_the_account_with_the_page_token(admin_client, instagram, graph):
    path = f"/{IG_ID}?fields=id,username,name"
    graph.routes[path] = (200, json.dumps({"id": IG_ID, "username": "papumylly"}).encode(), {})
    html = check(admin_client, instagram)
    assert "flash-success" in html and "Instagram account @papumylly" in html
    assert graph.requests[-1]["path"] == f"/v21.0{path}"

    graph.routes[path] = graph_error(100, "Unsupported get request. Object with ID does not exist")
    html = check(admin_client, instagram)
    assert f"Meta finds nothing this token may see for Instagram account {IG_ID}" in html


def test_meta_out_of_reach_is_said(admin_client, page, settings):
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.TISKI_META_GRAPH_URL = f"http://127.0.0.1:{port}/v21.0"
    html = check(admin_client, page)
    assert "flash-error" in html and "Tiski could not reach Meta" in html


def test_only_a_post_checks(admin_client, page):
    url = reverse("setup:meta-account-check", args=[page.pk])
    assert admin_client.get(url).status_code == 405
    edit = admin_client.get(reverse("setup:meta-account-edit", args=[page.pk])).content.decode()
    assert 'id="check-connection"' in edit and url in edit
