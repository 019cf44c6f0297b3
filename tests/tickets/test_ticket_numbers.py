"""Ticket numbers: unique, rising, and on PostgreSQL taken without a lock held to commit."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction

from tiski.core.models import Sequence
from tiski.customers.actions import get_or_create_contact
from tiski.tickets import actions
from tiski.tickets.actions import NewTicket, number_new_tickets
from tiski.tickets.models import Ticket, Via

SEQ = "ticket_number"


def _open(subject: str, contact, **fields) -> Ticket:
    return actions.create_ticket(
        requester=contact, subject=subject, text="Hei", actor=None, via=Via.CHANNEL, **fields
    )


def test_a_batch_gets_rising_unique_numbers_after_the_last_ticket(make_ticket, make_contact):
    """number_new_tickets gives every spec its own number, in the order given."""
    first = make_ticket()
    specs = [
        NewTicket(requester=make_contact(), subject=f"s{i}", channel="email") for i in range(3)
    ]
    number_new_tickets(specs)
    numbers = [spec.number for spec in specs]
    assert numbers == sorted(numbers)
    assert len(set(numbers)) == 3
    assert numbers[0] > first.number
    assert Sequence.current(SEQ) == numbers[-1]
    assert make_ticket().number > numbers[-1]


def test_an_explicit_number_moves_the_counter_past_it(make_ticket, make_contact):
    """An imported ticket keeps its number and the next new one comes after it."""
    imported_number = Sequence.current(SEQ) + 500
    imported = _open("Vanha", make_contact(), number=imported_number)
    assert imported.number == imported_number
    assert Sequence.current(SEQ) == imported_number
    assert make_ticket().number == imported_number + 1
    # A lower explicit number leaves the counter where it is.
    _open("Vanhempi", make_contact(), number=imported_number - 400)
    assert Sequence.current(SEQ) == imported_number + 1


@pytest.mark.django_db(transaction=True)
def test_two_transactions_open_tickets_at_once_without_waiting(make_contact):
    """A ticket transaction left open does not hold up another one's number.

    On PostgreSQL the second transaction runs with a lock timeout: if it
    queued behind the first (the old row lock held to commit) it would fail.
    """
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time by design")
    first_contact, _ = get_or_create_contact("email", "eka@example.com", name="Eka")
    second_contact, _ = get_or_create_contact("email", "toka@example.com", name="Toka")
    opened = threading.Event()
    release = threading.Event()
    result: dict[str, object] = {}

    def hold_open() -> None:
        try:
            with transaction.atomic():
                result["first"] = _open("Eka", first_contact).number
                opened.set()
                release.wait(30)
        except Exception as exc:  # reported by the main thread's asserts
            result["first_error"] = exc
            opened.set()
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_open)
    holder.start()
    try:
        assert opened.wait(30)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '3s'")
            second = _open("Toka", second_contact).number
    finally:
        release.set()
        holder.join(30)
    assert "first_error" not in result
    assert second != result["first"]
    assert Ticket.objects.filter(number__in=[second, result["first"]]).count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_ticket_never_gives_its_number_to_two_tickets(make_contact):
    """Whatever the database does with a rolled-back number, it is not handed out twice."""
    contact, _ = get_or_create_contact("email", "peruttu@example.com", name="Peruttu")
    with pytest.raises(RuntimeError), transaction.atomic():
        lost = _open("Peruttu", contact).number
        raise RuntimeError("rolled back")
    after = _open("Seuraava", contact).number
    if connection.vendor == "postgresql":
        assert after > lost  # a gap: nextval is not transactional
    else:
        assert after == lost  # the row was rolled back with the ticket
