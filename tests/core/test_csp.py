"""The Content-Security-Policy every response carries."""

from __future__ import annotations

import re

from django.core.files.base import ContentFile

from tests.conftest import PASSWORD
from tests.desk.test_hostile_pages import _InlineCode
from tiski.tickets import actions
from tiski.tickets.models import MessageKind, Via


def _directives(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


def test_desk_pages_get_a_strict_policy_with_a_fresh_nonce(client, admin_user, make_ticket):
    make_ticket()
    client.login(username=admin_user.email, password=PASSWORD)
    first = client.get("/")
    policy = _directives(first)
    nonce = re.search(r"'nonce-([^']+)'", policy["script-src"]).group(1)
    assert policy["script-src"] == f"'self' 'nonce-{nonce}'"
    assert "unsafe-inline" not in first["Content-Security-Policy"]
    assert "unsafe-eval" not in first["Content-Security-Policy"]
    assert policy["object-src"] == "'none'"
    assert policy["base-uri"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["img-src"] == "'self' data:"
    assert policy["style-src"] == "'self'"
    # Our script tags carry the nonce; htmx is told not to eval or inject styles.
    body = first.content.decode()
    assert f'desk/desk.js" defer nonce="{nonce}"' in body
    assert '"allowEval": false' in body and '"includeIndicatorStyles": false' in body
    second = client.get("/")
    assert _directives(second)["script-src"] != policy["script-src"]


def test_login_page_has_no_inline_code_and_a_policy(client):
    response = client.get("/login/")
    assert "script-src 'self' 'nonce-" in response["Content-Security-Policy"]
    parser = _InlineCode()
    parser.feed(response.content.decode())
    assert parser.found == []


def test_language_menu_submits_without_an_inline_handler(client, admin_user):
    client.login(username=admin_user.email, password=PASSWORD)
    body = client.get("/").content.decode()
    assert 'id="language-select" name="language" data-autosubmit' in body
    assert "onchange" not in body


def test_remote_images_allowed_only_on_ticket_pages(client, admin_user, make_ticket):
    plain = make_ticket(text="Pelkkää tekstiä")
    html = make_ticket(text="")
    contact = plain.requester
    actions.add_message(
        html,
        kind=MessageKind.CUSTOMER,
        actor=None,
        via=Via.CHANNEL,
        author_contact=html.requester,
        html='<p>Kuva <img src="https://kuvat.example/a.png"></p>',
    )
    client.login(username=admin_user.email, password=PASSWORD)
    framed = client.get(html.get_absolute_url())
    assert _directives(framed)["img-src"] == "'self' data: https:"
    body = framed.content.decode()
    assert '<iframe class="msg-frame" srcdoc="&lt;!doctype html&gt;' in body
    assert 'sandbox="allow-same-origin allow-popups allow-popups-to-escape-sandbox"' in body
    assert "allow-scripts" not in body
    # The remote image waits for the agent, inside the frame.
    assert "data-remote-src=&quot;https://kuvat.example/a.png&quot;" in body
    # A ticket page allows them too: an HTML mail may arrive while it is open.
    assert _directives(client.get(plain.get_absolute_url()))["img-src"] == "'self' data: https:"
    for url in ("/", f"/contacts/{contact.pk}/", f"/customers/contacts/{contact.pk}/timeline/"):
        assert _directives(client.get(url))["img-src"] == "'self' data:", url


def test_attachment_keeps_its_own_sandbox_policy(client, admin_user, make_ticket):
    ticket = make_ticket()
    message = actions.add_message(
        ticket,
        kind=MessageKind.INTERNAL,
        actor=admin_user,
        via=Via.AGENT,
        text="liite",
        attachments=[
            actions.NewAttachment(
                filename="a.html",
                content=ContentFile(b"<script>x</script>"),
                content_type="text/html",
            )
        ],
    )
    attachment = message.attachments.get()
    client.login(username=admin_user.email, password=PASSWORD)
    response = client.get(f"/attachments/{attachment.pk}/a.html")
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_admin_allows_inline_styles_but_not_inline_scripts(client, admin_user):
    admin_user.is_superuser = True
    admin_user.save()
    client.login(username=admin_user.email, password=PASSWORD)
    response = client.get("/admin/customers/contact/")
    assert response.status_code == 200
    policy = _directives(response)
    assert policy["style-src"] == "'self' 'unsafe-inline'"
    assert "unsafe-inline" not in policy["script-src"]
    assert policy["frame-ancestors"] == "'none'"
