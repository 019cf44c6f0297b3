"""Mentions, followers and notification settings, through the desk's own views."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import translation

from tiski.notifications import mentions, services
from tiski.notifications.models import Delivery, Follow, Kind, Notification, unread_for
from tiski.tickets import actions
from tiski.tickets.models import Message, MessageKind, Via


@pytest.fixture
def desk(make_team, make_user, make_ticket):
    """Two teams: Tuki (Aino, Bertta) owns the ticket; Myynti (Cecilia) does not."""
    tuki, myynti = make_team("Tuki"), make_team("Myynti")
    aino = make_user(name="Aino Agentti", email="aino@yritys.fi", teams=(tuki,), language="en")
    bertta = make_user(name="Bertta Berg", email="bertta@yritys.fi", teams=(tuki,), language="en")
    cecilia = make_user(name="Cecilia Berg", email="cecilia@yritys.fi", teams=(myynti,))
    ticket = make_ticket(subject="Lasku puuttuu", team=tuki)
    return {"aino": aino, "bertta": bertta, "cecilia": cecilia, "ticket": ticket}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _note(client, ticket, text):
    return client.post(
        reverse("desk:ticket-reply", args=[ticket.number]), {"kind": "internal", "text": text}
    )


def test_handles_are_found_but_not_in_email_addresses():
    """A handle is an @word; an address is not a mention, a sentence's dot is not part of it."""
    text = "@bertta.berg katso tämä, ja kysy myös @Aino. Osoite: aino@yritys.fi"
    assert mentions.find_handles(text) == ["bertta.berg", "aino"]


def test_autocomplete_lists_only_agents_who_can_see_the_ticket(desk):
    """Bertta (same team) is offered; Cecilia Berg of another team is not, though
    her name matches too."""
    page = _client(desk["aino"]).get(
        reverse("desk:ticket-mentions", args=[desk["ticket"].number]), {"q": "ber"}
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-mention="bertta"' in html
    assert "cecilia" not in html.lower()


def test_a_mention_of_someone_who_cannot_see_the_ticket_is_refused(desk):
    """The note is not written; the message names the agent and says why."""
    ticket = desk["ticket"]
    response = _note(_client(desk["aino"]), ticket, "@cecilia voitko auttaa?")
    assert response.status_code == 400
    assert "Cecilia Berg cannot see this ticket" in response.content.decode()
    assert not Message.objects.filter(ticket=ticket, kind=MessageKind.INTERNAL).exists()
    assert not Notification.objects.filter(user=desk["cecilia"]).exists()


def test_a_mentioned_agent_is_notified_and_follows(desk, django_capture_on_commit_callbacks):
    ticket, bertta = desk["ticket"], desk["bertta"]
    with django_capture_on_commit_callbacks(execute=True):
        response = _note(_client(desk["aino"]), ticket, "@bertta katso laskun summa")
    assert response.status_code == 302
    notice = unread_for(bertta).get()
    note = Message.objects.get(ticket=ticket, kind=MessageKind.INTERNAL)
    assert notice.kind == Kind.MENTION and notice.actor == desk["aino"]
    expected = f"Aino Agentti mentioned you on #{ticket.number}: @bertta katso laskun summa"
    with translation.override("en"):
        assert notice.message == expected
    assert notice.link.endswith(f"#message-{note.pk}")
    assert services.is_following(bertta, ticket.pk)
    # The bell shows it; opening it marks it read and lands on the note.
    client = _client(bertta)
    assert "mentioned you" in client.get(reverse("desk:notifications")).content.decode()
    opened = client.get(reverse("desk:notification-open", args=[notice.pk]))
    assert opened.status_code == 302 and opened["Location"].endswith(f"#message-{note.pk}")
    assert unread_for(bertta).count() == 0


def test_followers_hear_of_customer_messages_and_changes(desk, django_capture_on_commit_callbacks):
    """Bertta follows by hand; a customer message and Aino's change reach her, not Aino."""
    ticket, aino, bertta = desk["ticket"], desk["aino"], desk["bertta"]
    response = _client(bertta).post(
        reverse("desk:ticket-follow", args=[ticket.number]), {"follow": "1"}
    )
    assert response.status_code == 302
    services.follow(aino, ticket.pk)
    with django_capture_on_commit_callbacks(execute=True):
        actions.add_message(
            ticket,
            kind=MessageKind.CUSTOMER,
            actor=None,
            via=Via.CHANNEL,
            text="Vieläkö lasku tulee?",
            author_contact=ticket.requester,
        )
    with django_capture_on_commit_callbacks(execute=True):
        actions.update_ticket(ticket, actor=aino, via=Via.AGENT, priority="high")
    kinds = sorted(unread_for(bertta).values_list("kind", flat=True))
    assert kinds == [Kind.CHANGE, Kind.CUSTOMER_MESSAGE]
    change = unread_for(bertta).get(kind=Kind.CHANGE)
    with translation.override("en"):
        assert change.message == f"Aino Agentti changed #{ticket.number}: priority"
    # Aino made the change herself: only the customer's message reaches her.
    assert list(unread_for(aino).values_list("kind", flat=True)) == [Kind.CUSTOMER_MESSAGE]
    # Unfollowing stops it.
    _client(bertta).post(reverse("desk:ticket-follow", args=[ticket.number]), {"follow": "0"})
    assert not Follow.objects.filter(user=bertta).exists()


def test_replying_makes_the_agent_a_follower(desk, mailbox, django_capture_on_commit_callbacks):
    ticket = desk["ticket"]
    with django_capture_on_commit_callbacks(execute=True):
        actions.add_message(
            ticket, kind=MessageKind.PUBLIC, actor=desk["aino"], via=Via.AGENT, text="Hei!"
        )
    assert Follow.objects.get(user=desk["aino"], ticket=ticket).reason == "replied"


def test_following_view_lists_followed_tickets(desk, make_ticket):
    ticket = desk["ticket"]
    other = make_ticket(subject="Toinen asia", team=ticket.team)
    services.follow(desk["aino"], ticket.pk)
    page = _client(desk["aino"]).get(reverse("desk:inbox"), {"view": "following"})
    html = page.content.decode()
    assert "Lasku puuttuu" in html and "Toinen asia" not in html
    assert other.pk


def test_settings_off_and_email(desk, mailbox, django_capture_on_commit_callbacks):
    """Off writes nothing; email also mails the agent through the outbox."""
    ticket, aino, bertta = desk["ticket"], desk["aino"], desk["bertta"]
    client = _client(bertta)
    response = client.post(
        reverse("desk:preferences"),
        {"language": "en", "time_zone": "", "notify-mention": Delivery.EMAIL},
    )
    assert response.status_code == 302
    services.save_settings(desk["cecilia"], {Kind.MENTION: Delivery.OFF})
    with django_capture_on_commit_callbacks(execute=True):
        _note(_client(aino), ticket, "@bertta tärkeä")
    assert unread_for(bertta).count() == 1
    (sent,) = mail.outbox
    assert sent.to == ["bertta@yritys.fi"]
    assert f"[#{ticket.number}]" in sent.subject and "mentioned you" in sent.body
    # Turned off: nothing written.
    services.save_settings(bertta, {Kind.MENTION: Delivery.OFF})
    with django_capture_on_commit_callbacks(execute=True):
        _note(_client(aino), ticket, "@bertta toinen")
    assert unread_for(bertta).count() == 1
