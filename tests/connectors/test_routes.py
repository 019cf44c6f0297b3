"""The one reply route: a channel's registry line is all the desk needs, even a
channel whose route still answers with the registry's older dict."""

from __future__ import annotations

import pytest

from tiski.connectors import routes
from tiski.connectors.registry import CHANNELS, ChannelInfo

pytestmark = pytest.mark.django_db

ANSWER: dict = {}


def dict_route(ticket):
    return dict(ANSWER) or None


@pytest.fixture
def messenger(monkeypatch):
    line = ChannelInfo(
        key="messenger", label="Messenger", can_reply=True, attachments=True, max_length=2000,
        has_templates=False, sender="", intake="", route=f"{__name__}.dict_route",
    )  # fmt: skip
    monkeypatch.setitem(CHANNELS, "messenger", line)
    yield
    ANSWER.clear()


def test_a_new_channel_is_one_registry_line(messenger, make_ticket):
    ANSWER.update(account=7, to="psid-1", to_label="Aino Asiakas", from_label="Kauppa")
    route = routes.reply_route(make_ticket())
    assert (route.channel, route.to, route.meta) == (
        "messenger",
        "psid-1",
        {"account": 7, "to": "psid-1"},
    )
    assert "Aino Asiakas" in route.summary and "Kauppa" in route.summary
    assert route.reachable and route.max_length == 2000
    assert "2001" in route.refusal("x" * 2001)


def test_an_older_dict_route_keeps_its_reason_as_a_sentence(messenger, make_ticket):
    ANSWER.update(account=7, to="psid-1", problem="window_closed")
    route = routes.reply_route(make_ticket())
    assert not route.reachable and "Messenger" in route.problem and "24" in route.problem


def test_without_a_channel_route_the_reply_goes_by_email(make_ticket, mailbox):
    ticket = make_ticket()
    route = routes.reply_route(ticket)
    assert route.channel == "email" and route.mailbox == mailbox
    assert routes.reply_routes(ticket) == [route]
