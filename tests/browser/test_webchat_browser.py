"""The chat widget on a site of another origin, and an agent answering from the desk."""

from __future__ import annotations

import http.server
import threading

import pytest
from playwright.sync_api import expect

from tiski.tickets.models import Channel, MessageKind, Ticket

from ..conftest import PASSWORD
from .conftest import _free_port, login, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def shop_site(asgi_server, make_team, make_user):
    """A customer's web site on its own origin, embedding the widget with one tag."""
    from tiski.connectors.models import Mailbox
    from tiski.connectors.webchat.models import ChatWidget

    team = make_team("Chat")
    # Available for chat (the account menu's toggle), so the widget greets.
    make_user(teams=(team,), name="Minna Virtanen", email="minna@yritys.fi", chat_available=True)
    Mailbox.objects.create(address="tuki@tiski.example", default_team=team)
    port = _free_port()
    origin = f"http://localhost:{port}"
    widget = ChatWidget.objects.create(
        name="Kauppa",
        allowed_origins=[origin],
        default_team=team,
        greeting_fi="Hei! Kysy pois.",
        offline_message="Olemme tauolla. Vastaamme sähköpostitse.",
    )

    def page(attributes: str) -> bytes:
        return (
            '<!doctype html><html lang="fi"><head><meta charset="utf-8"><title>Kauppa</title>'
            "</head><body><h1>Kauppa</h1>"
            f'<script src="{asgi_server}/chat/{widget.public_key}/widget.js"{attributes}></script>'
            "</body></html>"
        ).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            # /poll: a site that tells the widget to use plain HTTP from the start.
            self.wfile.write(page(' data-transport="poll"' if self.path == "/poll" else ""))

        def log_message(self, *args) -> None:  # quiet
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield origin
    server.shutdown()


def test_visitor_chats_agent_answers_live_and_reload_keeps_it(new_page, shop_site):
    visitor = new_page(viewport={"width": 390, "height": 780})
    visitor.goto(shop_site)
    visitor.get_by_role("button", name="Avaa chat").click()
    panel = visitor.get_by_role("dialog", name="Chat")
    expect(panel).to_contain_text("Hei! Kysy pois.")
    panel.get_by_label("Nimi").fill("Liisa Laine")
    panel.get_by_label("Sähköposti").fill("liisa@example.com")
    panel.get_by_label("Sähköposti").press("Enter")
    message = panel.get_by_label("Viesti")
    message.fill("Onko punaista villapaitaa kokoa M?")
    message.press("Enter")
    expect(panel.locator(".tiski-chat-visitor")).to_contain_text("villapaitaa")
    expect(panel.locator(".tiski-chat-pending")).to_have_count(0)

    ticket = Ticket.objects.get()
    assert ticket.channel == Channel.CHAT

    agent = new_page()
    login(agent, "minna@yritys.fi", PASSWORD)
    agent.goto(ticket.get_absolute_url())
    expect(agent.locator(".msg-customer")).to_contain_text("villapaitaa")
    agent.fill("#id_text", "Hei Liisa, on varastossa.")
    agent.click("#send-button")
    expect(agent.locator(".msg-public")).to_contain_text("on varastossa")

    expect(panel.locator(".tiski-chat-agent").last).to_contain_text("on varastossa")
    expect(panel.locator(".tiski-chat-agent").last).to_contain_text("Minna")
    screenshot(visitor, "webchat")
    from tiski.connectors.models import OutboundEmail
    from tiski.connectors.webchat.models import LiveDelivery

    reply = ticket.messages.get(kind=MessageKind.PUBLIC)
    assert LiveDelivery.objects.filter(message=reply).exists()
    assert not OutboundEmail.objects.filter(message=reply).exists()

    visitor.reload()
    panel = visitor.get_by_role("dialog", name="Chat")
    expect(panel.locator(".tiski-chat-visitor")).to_contain_text("villapaitaa")
    expect(panel.locator(".tiski-chat-agent").last).to_contain_text("on varastossa")
    expect(panel.locator(".tiski-chat-agent").first).to_contain_text("Kysy pois")
    expect(panel).to_have_attribute("data-connected", "true")
    panel.get_by_label("Viesti").fill("Kiitos!")
    panel.get_by_label("Viesti").press("Enter")
    expect(panel.locator(".tiski-chat-pending")).to_have_count(0)
    assert list(
        ticket.messages.filter(kind=MessageKind.CUSTOMER).values_list("text", flat=True)
    ) == ["Onko punaista villapaitaa kokoa M?", "Kiitos!"]


def test_agent_goes_away_and_the_next_chat_is_answered_by_email(new_page, shop_site):
    from tiski.accounts.models import User
    from tiski.connectors.models import OutboundEmail

    agent = new_page()
    login(agent, "minna@yritys.fi", PASSWORD)
    agent.locator("#account-menu summary").click()
    expect(agent.locator("#chat-availability-state")).to_have_text("Chat: tavoitettavissa")
    agent.get_by_role("button", name="Merkitse poissaolevaksi").click()
    agent.locator("#account-menu summary").click()
    expect(agent.locator("#chat-availability-state")).to_have_text("Chat: poissa")
    assert not User.objects.get(email="minna@yritys.fi").chat_available

    visitor = new_page()
    visitor.goto(shop_site)
    visitor.get_by_role("button", name="Avaa chat").click()
    panel = visitor.get_by_role("dialog", name="Chat")
    expect(panel).to_have_attribute("data-available", "false")
    expect(panel).to_contain_text("Olemme tauolla. Vastaamme sähköpostitse.")
    expect(panel).not_to_contain_text("Kysy pois")
    panel.get_by_label("Nimi").fill("Liisa Laine")
    panel.get_by_label("Sähköposti").fill("liisa@example.com")
    panel.get_by_label("Sähköposti").press("Enter")
    panel.get_by_label("Viesti").fill("Soittakaa minulle huomenna.")
    panel.get_by_label("Viesti").press("Enter")
    expect(panel.locator(".tiski-chat-pending")).to_have_count(0)
    visitor.close()  # the visitor leaves: nobody answered in the chat
    from tiski.connectors.webchat.models import ChatSession

    for _ in range(100):  # until the server has seen the socket close
        if not ChatSession.objects.filter(open_sockets__gt=0).exists():
            break
        agent.wait_for_timeout(100)

    ticket = Ticket.objects.get()
    assert ticket.channel == Channel.CHAT and ticket.assignee is None
    agent.goto(ticket.get_absolute_url())
    expect(agent.locator("#reply-to")).to_contain_text("liisa@example.com")
    agent.fill("#id_text", "Soitamme huomenna aamupäivällä.")
    agent.click("#send-button")
    expect(agent.locator(".msg-public")).to_contain_text("aamupäivällä")
    reply = ticket.messages.get(kind=MessageKind.PUBLIC)
    assert OutboundEmail.objects.get(message=reply).to == ["liisa@example.com"]


def test_where_no_socket_gets_through_the_chat_goes_on_over_http(new_page, shop_site):
    """A proxy that lets no websocket through (every chat socket is closed at
    once): the widget falls back to long-polling and the whole chat works both
    ways, the agent's typing and reply arriving live, and after a reload."""
    visitor = new_page(viewport={"width": 390, "height": 780})
    blocked = []

    def refuse(route) -> None:
        blocked.append(route.url)
        route.close()

    visitor.route_web_socket("**/ws/chat/**", refuse)
    visitor.goto(shop_site)
    visitor.get_by_role("button", name="Avaa chat").click()
    panel = visitor.get_by_role("dialog", name="Chat")
    expect(panel).to_have_attribute("data-transport", "poll")
    expect(panel).to_contain_text("Hei! Kysy pois.")
    expect(panel).to_have_attribute("data-connected", "true")
    assert len(blocked) == 2  # two sockets tried, then plain HTTP
    panel.get_by_label("Nimi").fill("Liisa Laine")
    panel.get_by_label("Sähköposti").fill("liisa@example.com")
    panel.get_by_label("Sähköposti").press("Enter")
    message = panel.get_by_label("Viesti")
    expect(message).to_be_focused()
    expect(panel.get_by_label("Sähköposti")).to_be_hidden()  # the form is done with
    message.fill("Toimiiko tämä ilman sokettia?")
    message.press("Enter")
    expect(panel.locator(".tiski-chat-visitor")).to_contain_text("ilman sokettia")
    expect(panel.locator(".tiski-chat-pending")).to_have_count(0)

    # The first "read" the widget sends fails (a server error): it is told
    # again with the next welcome, not lost.
    failed_reads = []

    def fail_the_first_read(route) -> None:
        if '"read"' in (route.request.post_data or "") and not failed_reads:
            failed_reads.append(route.request.post_data)
            route.fulfill(status=500, body="<h1>Server Error</h1>", content_type="text/html")
        else:
            route.continue_()

    visitor.route("**/send", fail_the_first_read)

    ticket = Ticket.objects.get()
    agent = new_page()
    login(agent, "minna@yritys.fi", PASSWORD)
    agent.goto(ticket.get_absolute_url())
    expect(agent.locator(".msg-customer")).to_contain_text("ilman sokettia")
    # The desk's socket carries the typing: it is open once the page is live.
    expect(agent.locator("body")).to_have_attribute("data-live", "on")
    agent.locator("#id_text").press_sequentially("Toimii", delay=20)
    expect(panel.locator(".tiski-chat-typing")).to_contain_text("Minna")
    agent.fill("#id_text", "Toimii, tavallisella HTTP:llä.")
    agent.click("#send-button")
    expect(agent.locator(".msg-public")).to_contain_text("tavallisella")
    expect(panel.locator(".tiski-chat-agent").last).to_contain_text("tavallisella HTTP:llä")
    expect(panel.locator(".tiski-chat-agent").last).to_contain_text("Minna")
    expect(panel.locator(".tiski-chat-typing")).to_have_text("")
    from tiski.connectors.models import OutboundEmail
    from tiski.connectors.webchat.models import LiveDelivery

    reply = ticket.messages.get(kind=MessageKind.PUBLIC)
    assert LiveDelivery.objects.filter(message=reply).exists()
    assert not OutboundEmail.objects.filter(message=reply).exists()

    # The visitor's widget says it was seen (the "read" frame goes over HTTP too).
    from tiski.connectors.webchat.models import ChatSession

    for _ in range(100):
        if ChatSession.objects.filter(read_up_to=reply.pk).exists():
            break
        visitor.wait_for_timeout(100)
    assert ChatSession.objects.get().read_up_to == reply.pk
    assert len(failed_reads) == 1
    # The failed request showed "reconnecting" for a moment; the welcome after it clears it.
    expect(panel.locator(".tiski-chat-status")).to_have_text("")
    screenshot(visitor, "webchat-polling")

    visitor.reload()
    panel = visitor.get_by_role("dialog", name="Chat")
    expect(panel).to_have_attribute("data-transport", "poll")
    expect(panel.locator(".tiski-chat-agent").last).to_contain_text("tavallisella HTTP:llä")
    panel.get_by_label("Viesti").fill("Kiitos!")
    panel.get_by_label("Viesti").press("Enter")
    expect(panel.locator(".tiski-chat-pending")).to_have_count(0)
    assert list(
        ticket.messages.filter(kind=MessageKind.CUSTOMER).values_list("text", flat=True)
    ) == ["Toimiiko tämä ilman sokettia?", "Kiitos!"]
    assert panel.locator(".tiski-chat-agent", has_text="tavallisella").count() == 1


def test_the_widget_is_used_from_the_keyboard_with_labelled_controls(new_page, shop_site):
    """Tab reaches the chat button, Enter opens the panel on its first field,
    the form and the composer work by keyboard, Escape closes the panel and
    gives the focus back to the button; every control has a name."""
    visitor = new_page()
    visitor.goto(shop_site)
    toggle = visitor.locator(".tiski-chat-button")
    visitor.keyboard.press("Tab")
    expect(toggle).to_be_focused()
    expect(toggle).to_have_accessible_name("Avaa chat")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    visitor.keyboard.press("Enter")
    panel = visitor.get_by_role("dialog", name="Chat")
    expect(panel).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(toggle).to_have_accessible_name("Sulje chat")
    expect(panel.get_by_role("log")).to_contain_text("Hei! Kysy pois.")
    expect(panel.get_by_label("Nimi")).to_be_focused()
    visitor.keyboard.type("Liisa Laine")
    visitor.keyboard.press("Tab")
    expect(panel.get_by_label("Sähköposti")).to_be_focused()
    visitor.keyboard.type("liisa@example.com")
    visitor.keyboard.press("Enter")
    message = panel.get_by_label("Viesti")
    expect(message).to_be_focused()
    visitor.keyboard.type("Näppäimistöllä kirjoitettu.")
    visitor.keyboard.press("Enter")
    expect(panel.get_by_role("log")).to_contain_text("Näppäimistöllä")
    expect(panel.locator(".tiski-chat-pending")).to_have_count(0)
    for name in ("Lähetä", "Lähetä keskustelu sähköpostiini", "Sulje chat"):
        expect(panel.get_by_role("button", name=name, exact=True)).to_be_visible()
    expect(panel.get_by_label("Liitä tiedosto")).to_be_visible()

    visitor.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(toggle).to_be_focused()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    visitor.keyboard.press("Enter")
    expect(message).to_be_focused()


def test_a_message_whose_post_failed_is_sent_again_once(new_page, shop_site):
    """data-transport="poll": no socket is tried. The network drops the POST of
    a message: it stays pending, goes again with the next hello, and is on the
    ticket once."""
    visitor = new_page()
    sockets = []
    visitor.on("websocket", lambda ws: sockets.append(ws.url))
    dropped = []

    def drop_first_message(route) -> None:
        body = route.request.post_data or ""
        if '"type":"message"' in body and not dropped:
            dropped.append(body)
            route.abort()
        else:
            route.continue_()

    visitor.route("**/send", drop_first_message)
    visitor.goto(shop_site + "/poll")
    visitor.get_by_role("button", name="Avaa chat").click()
    panel = visitor.get_by_role("dialog", name="Chat")
    expect(panel).to_have_attribute("data-transport", "poll")
    panel.get_by_label("Nimi").fill("Liisa Laine")
    panel.get_by_label("Sähköposti").fill("liisa@example.com")
    panel.get_by_label("Sähköposti").press("Enter")
    panel.get_by_label("Viesti").fill("Menikö tämä perille?")
    panel.get_by_label("Viesti").press("Enter")
    expect(panel.locator(".tiski-chat-visitor")).to_contain_text("perille")
    expect(panel.locator(".tiski-chat-pending")).to_have_count(0)
    assert len(dropped) == 1
    assert sockets == []
    ticket = Ticket.objects.get()
    assert list(ticket.messages.values_list("text", flat=True)) == ["Menikö tämä perille?"]
