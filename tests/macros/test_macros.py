"""Ready answers: sandboxed placeholders, language, actions on send."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from tiski.macros.models import Macro
from tiski.macros.services import render_for
from tiski.tickets.models import MessageKind, Status

from ..conftest import PASSWORD


@pytest.fixture
def macro(db):
    return Macro.objects.create(
        name="Kiitos yhteydenotosta",
        shortcut="kiitos",
        text_fi="Hei {{ requester.first_name }}, kiitos! Tikettisi #{{ ticket.number }}. "
        "t. {{ agent.name }}",
        text_en="Hi {{ requester.first_name }}, thanks! Ticket #{{ ticket.number }}.",
        set_status=Status.PENDING,
        add_tags=["kiitetty"],
    )


def test_renders_in_the_customers_language(macro, make_ticket, make_contact, make_user):
    agent = make_user(name="Minna Virtanen")
    finn = make_ticket(requester=make_contact(name="Liisa Lahtinen"))
    brit = make_ticket(requester=make_contact(name="John Smith", language="en"))
    assert render_for(macro, finn, agent) == (
        f"Hei Liisa, kiitos! Tikettisi #{finn.number}. t. Minna Virtanen"
    )
    assert render_for(macro, brit, agent).startswith("Hi John, thanks!")


def test_placeholders_cannot_reach_other_data(db, make_ticket, make_user):
    sneaky = Macro(
        name="x",
        shortcut="x",
        text_fi="{{ ticket.requester.notes }}{{ settings.SECRET_KEY }}"
        "{{ ticket.__class__ }}{% load desk %}ok",
    )
    with pytest.raises(ValidationError):
        sneaky.full_clean()
    rendered = render_for(sneaky, make_ticket(), make_user())
    assert rendered == "{% load desk %}ok"


def test_personal_macros_are_private(db, make_user):
    owner, other = make_user(), make_user()
    mine = Macro.objects.create(name="Oma", shortcut="oma", text_fi="x", owner=owner)
    shared = Macro.objects.create(name="Yhteinen", shortcut="yht", text_fi="y")
    assert set(Macro.objects.usable_by(owner)) == {mine, shared}
    assert set(Macro.objects.usable_by(other)) == {shared}


def test_sending_with_a_macro_applies_its_actions(client, macro, make_ticket, make_user, mailbox):
    agent = make_user()
    ticket = make_ticket()
    client.login(username=agent.email, password=PASSWORD)
    suggestions = client.get(reverse("macros:suggest", args=[ticket.number]) + "?q=kiit")
    assert "Kiitos yhteydenotosta" in suggestions.content.decode()
    expanded = client.get(reverse("macros:shortcut", args=[ticket.number]) + "?shortcut=kiitos")
    data = expanded.json()
    response = client.post(
        reverse("desk:ticket-reply", args=[ticket.number]),
        {
            "kind": "public",
            "text": data["text"],
            "macro": data["id"],
            "status_after": data["status"],
            "last_seen_message": ticket.messages.last().pk,
        },
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING
    assert list(ticket.tags.values_list("name", flat=True)) == ["kiitetty"]
    reply = ticket.messages.get(kind=MessageKind.PUBLIC)
    assert reply.text.startswith("Hei Maija")
    # The conversation can say which ready answer the reply was written with.
    assert reply.meta["macro"] == macro.pk and reply.meta["macro_name"] == macro.name
    page = client.get(ticket.get_absolute_url()).content.decode()
    assert f'data-macro="{macro.pk}"' in page
    macro.refresh_from_db()
    assert macro.usage_count == 1
