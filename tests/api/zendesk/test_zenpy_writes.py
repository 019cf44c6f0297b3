"""Zenpy, unchanged, doing bulk changes, merges, deletes, side-loads and people writes.

The same live server and Zenpy client as test_zenpy.py; each call below is
the library's own (``tickets.update`` with a list is ``update_many``,
``tickets.create`` with a list ``create_many``, both answered by a job
status that ``job_status`` polls).
"""

from __future__ import annotations

import pytest
from zenpy.lib.api_objects import Comment, Organization, Ticket, User
from zenpy.lib.exception import APIException

from tests.api.zendesk.test_zenpy import desk  # noqa: F401 - the live server and client
from tests.browser.conftest import asgi_server  # noqa: F401 - the live server fixture
from tiski.api.zendesk.mapping import END_USER_BASE
from tiski.customers.models import Contact, Organisation
from tiski.tickets.models import MessageKind, Status, TicketMerge
from tiski.tickets.models import Ticket as TiskiTicket


def finished(zenpy, job):
    """The job's status once done (the live server runs jobs right after the answer)."""
    for _attempt in range(50):
        job = zenpy.job_status(id=job.id)
        if job.status in ("completed", "failed"):
            return job
    raise AssertionError(f"job {job.id} is still {job.status}")


def test_update_many_and_create_many(desk):  # noqa: F811
    zenpy, order = desk["zenpy"], desk["order"]
    made = finished(
        zenpy,
        zenpy.tickets.create(
            [
                Ticket(subject=f"Erä {n}", comment=Comment(body="Hei"), group_id=desk["team"].pk)
                for n in range(2)
            ]
        ),
    )
    assert made.status == "completed" and [r.index for r in made.results] == [0, 1]
    numbers = [r.id for r in made.results]
    tickets = [zenpy.tickets(id=n) for n in (order.number, *numbers)]
    for ticket in tickets:
        ticket.priority = "urgent"
    tickets[0].status = "pending"
    done = finished(zenpy, zenpy.tickets.update(tickets))
    assert [r.status for r in done.results] == ["Updated"] * 3
    order.refresh_from_db()
    assert (order.priority, order.status) == ("urgent", Status.PENDING)
    assert set(
        TiskiTicket.objects.filter(number__in=numbers).values_list("priority", flat=True)
    ) == {"urgent"}


def test_merge_and_refused_delete(desk):  # noqa: F811
    zenpy, order = desk["zenpy"], desk["order"]
    duplicate = zenpy.tickets.create(
        Ticket(
            subject="Sama tilaus",
            comment=Comment(body="Missä tilaus 81723?", author_id=END_USER_BASE + desk["liisa"].pk),
            requester_id=END_USER_BASE + desk["liisa"].pk,
            group_id=desk["team"].pk,
        )
    ).ticket
    job = zenpy.tickets.merge(order.number, [duplicate.id], target_comment="Yhdistetty")
    assert finished(zenpy, job).status == "completed"
    merged = TicketMerge.objects.get()
    assert (merged.source.number, merged.target) == (duplicate.id, order)
    assert order.messages.filter(text="Missä tilaus 81723?", kind=MessageKind.CUSTOMER).exists()
    with pytest.raises(APIException) as refused:
        zenpy.tickets.delete(zenpy.tickets(id=order.number))
    assert refused.value.response.status_code == 403
    assert TiskiTicket.objects.filter(pk=order.pk).exists()


def test_side_loaded_tickets(desk):  # noqa: F811
    zenpy, order = desk["zenpy"], desk["order"]
    (ticket,) = list(zenpy.tickets(include=["users", "groups"]))
    assert ticket.id == order.number
    assert ticket.requester.email == "liisa@example.fi"
    assert ticket.group.name == "Tuki"


def test_users_and_organizations(desk):  # noqa: F811
    zenpy = desk["zenpy"]
    org = zenpy.organizations.create(Organization(name="Yritys Oy", domain_names=["yritys.fi"]))
    made = zenpy.users.create(
        User(name="Pekka Puro", email="pekka@yritys.fi", organization_id=org.id)
    )
    assert made.role == "end-user" and made.id == END_USER_BASE + Contact.objects.latest("pk").pk
    made.name = "Pekka Puro-Laine"
    assert zenpy.users.update(made).name == "Pekka Puro-Laine"
    again = zenpy.users.create_or_update(User(email="pekka@yritys.fi", name="Pekka P."))
    assert again.id == made.id and again.name == "Pekka P."
    with pytest.raises(APIException) as refused:
        zenpy.users.create(User(name="Uusi Agentti", email="uusi@tiski.example", role="agent"))
    assert refused.value.response.status_code == 422
    org.notes = "Sopimusasiakas"
    zenpy.organizations.update(org)
    same = zenpy.organizations.create_or_update(Organization(id=org.id, name="Yritys Group Oy"))
    assert same.id == org.id
    stored = Organisation.objects.get(pk=org.id)
    assert (stored.name, stored.notes) == ("Yritys Group Oy", "Sopimusasiakas")
