"""The one reply route: a channel's registry line is all the desk needs."""

from __future__ import annotations

import pytest

from tiski.connectors import routes
from tiski.connectors.registry import CHANNELS, ChannelInfo

pytestmark = pytest.mark.django_db

ANSWER: dict = {}


def pigeon_route(ticket):
    """A made-up channel's route, answering what the test put in ANSWER."""
    if not ANSWER:
        return None
    return routes.messaging_route(channel="pigeon", **ANSWER)


@pytest.fixture
def pigeon(monkeypatch):
    line = ChannelInfo(
        key="pigeon", label="Pigeon", can_reply=True, attachments=False, max_length=140,
        has_templates=False, sender="", intake="", route=f"{__name__}.pigeon_route",
    )  # fmt: skip
    # First in the registry's order, so no real channel's route answers before it.
    monkeypatch.setattr(routes, "CHANNELS", {"pigeon": line, **CHANNELS})
    yield
    ANSWER.clear()


def test_a_new_channel_is_one_registry_line(pigeon, make_ticket):
    ANSWER.update(account=7, to="loft-1", to_label="Aino Asiakas", from_label="Kauppa")
    route = routes.reply_route(make_ticket())
    assert (route.channel, route.to, route.meta) == (
        "pigeon",
        "loft-1",
        {"account": 7, "to": "loft-1"},
    )
    assert "Aino Asiakas" in route.summary and "Kauppa" in route.summary
    assert route.reachable and route.max_length == 140
    assert "141" in route.refusal("x" * 141)
    assert "Pigeon" in route.file_limits  # "carries no files"


def test_a_channel_says_why_a_reply_cannot_go_and_how_it_will(pigeon, make_ticket):
    ANSWER.update(account=7, to="loft-1", problem="The loft is closed.", notice="")
    route = routes.reply_route(make_ticket())
    assert not route.reachable and route.refusal("hei") == "The loft is closed."
    ANSWER.update(problem="", notice="Goes by the slow bird.")
    route = routes.reply_route(make_ticket())
    assert route.reachable and route.notice == "Goes by the slow bird."


def test_without_a_channel_route_the_reply_goes_by_email(make_ticket, mailbox):
    ticket = make_ticket()
    route = routes.reply_route(ticket)
    assert route.channel == "email" and route.mailbox == mailbox
    assert routes.reply_routes(ticket) == [route]
