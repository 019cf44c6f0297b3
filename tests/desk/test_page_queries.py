"""The ticket page and the inbox make a fixed number of queries: none per
message, row, team, agent or lead, and the small settings-like lists once
per request however many selects and badges show them."""

from __future__ import annotations

import re

import pytest
from django import forms
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conftest import PASSWORD
from tiski.accounts.models import Role
from tiski.connectors.routes import reply_routes
from tiski.core import config_cache
from tiski.desk.widgets import FastSelect
from tiski.tickets import actions
from tiski.tickets.models import MessageKind, Priority, PriorityLabel, TicketType, Via

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _caches_do_not_expire_mid_test(monkeypatch):
    """The synonym table is read again after a minute; on a loaded machine a
    test's two requests can be that far apart, which would count one query
    more that has nothing to do with what the page reads per row."""
    monkeypatch.setattr("tiski.search.service.SYNONYM_CACHE_SECONDS", None)


@pytest.fixture
def agent(make_user):
    return make_user(name="Aino Agentti")


@pytest.fixture
def agent_client(agent):
    client = Client()
    client.login(email=agent.email, password=PASSWORD)
    return client


def queries_of(client: Client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in captured.captured_queries]


def grow_the_desk(make_user, make_team, agent, n: int) -> None:
    """More teams (the agent in each, each with a lead), agents and types."""
    for i in range(n):
        lead = make_user(name=f"Liidi {i}")
        team = make_team(name=f"Kasvu {i}")
        team.members.add(agent)
        team.leads.add(lead)
        TicketType.objects.get_or_create(
            slug=f"kasvu-{i}", defaults={"name_fi": f"Tyyppi {i}", "name_en": f"Type {i}"}
        )


def talk(ticket, agent, messages: int) -> None:
    for n in range(messages):
        customer = n % 2 == 0
        actions.add_message(
            ticket,
            kind=MessageKind.CUSTOMER if customer else MessageKind.PUBLIC,
            actor=None if customer else agent,
            author_contact=ticket.requester if customer else None,
            via=Via.CHANNEL if customer else Via.AGENT,
            channel="email",
            text=f"Viesti {n}",
        )
        actions.update_ticket(
            ticket, actor=agent, via=Via.AGENT, priority=[Priority.HIGH, Priority.LOW][n % 2]
        )


def test_ticket_page_queries_do_not_grow_with_messages_teams_or_leads(
    make_ticket, make_user, make_team, agent, agent_client
):
    """No query per message, event, team or team lead (the escalation form
    once read each team's leads on its own)."""
    ticket = make_ticket()
    talk(ticket, agent, 2)
    agent_client.get(ticket.get_absolute_url())  # session and caches warm
    # Both counts with the kept lists read (core/config_cache.py): new teams
    # and leads change the lists version, so the second request reads them.
    config_cache.clear()
    before = queries_of(agent_client, ticket.get_absolute_url())

    grow_the_desk(make_user, make_team, agent, 4)
    talk(ticket, agent, 12)
    actions.set_tags(ticket, ["vip", "lasku", "kiire"], actor=agent, via=Via.AGENT)
    config_cache.clear()
    after = queries_of(agent_client, ticket.get_absolute_url())

    assert len(after) == len(before), "\n".join(after)


def test_inbox_queries_do_not_grow_with_rows_teams_or_agents(
    make_ticket, make_user, make_team, agent, agent_client
):
    make_ticket(subject="Ensimmäinen")
    url = reverse("desk:inbox") + "?view=open"
    agent_client.get(url)
    config_cache.clear()
    before = queries_of(agent_client, url)

    grow_the_desk(make_user, make_team, agent, 4)
    for i in range(12):
        ticket = make_ticket(subject=f"Rivi {i}")
        actions.set_tags(ticket, [f"t{i}", "yhteinen"], actor=agent, via=Via.AGENT)
    config_cache.clear()
    after = queries_of(agent_client, url)

    assert len(after) == len(before), "\n".join(after)


def test_small_lists_are_read_once_per_request(make_ticket, agent_client):
    """The priority labels (side panel, bulk bar, every row's badge) and the
    teams (filters, bulk bar, sidebar views) are each one query per page."""
    PriorityLabel.objects.create(priority=Priority.URGENT, language="fi", label="Heti")
    for i in range(3):
        make_ticket(subject=f"Kiire {i}", priority=Priority.URGENT)
    inbox = queries_of(agent_client, reverse("desk:inbox") + "?view=open")
    assert sum('FROM "tickets_prioritylabel"' in q for q in inbox) == 1
    assert sum('FROM "tickets_tickettype"' in q for q in inbox) == 1
    assert sum('FROM "accounts_user" WHERE "accounts_user"."is_active"' in q for q in inbox) == 1
    page = agent_client.get(reverse("desk:inbox") + "?view=open").content.decode()
    assert page.count(">Heti<") >= 3

    ticket = make_ticket(priority=Priority.URGENT)
    config_cache.clear()  # read, not kept from the inbox before
    ticket_page = queries_of(agent_client, ticket.get_absolute_url())
    assert sum('FROM "tickets_prioritylabel"' in q for q in ticket_page) == 1


def test_choosing_a_reply_route_reads_the_latest_customer_messages_once(make_ticket):
    """Every messaging channel's route asks for the customer's latest message
    and the email route for their latest mailboxes: one read for them all."""
    ticket = make_ticket()
    with CaptureQueriesContext(connection) as captured:
        routes = reply_routes(ticket)
    assert routes[0].channel == "email"
    latest = [
        q["sql"]
        for q in captured.captured_queries
        if 'FROM "tickets_message"' in q["sql"] and "ORDER BY" in q["sql"]
    ]
    assert len(latest) == 1, latest


@pytest.mark.parametrize("value", ["a", None, "x", 3, ""])
@pytest.mark.parametrize(
    "attrs", [None, {"id": "id_f", "required": True, "disabled": False, "data-x": 'q"<'}]
)
def test_fast_select_writes_what_django_select_writes(value, attrs):
    choices = [
        ("", "— ei <muutosta> —"),
        ("a", "A & B"),
        ("Ryhmä", [("x", "X"), ("y", "Y")]),
        (3, "kolme"),
    ]
    expected = forms.Select(choices=choices).render("f", value, attrs)
    assert FastSelect(choices=choices).render("f", value, attrs) == expected


def test_light_agent_inbox_rows_match_the_row_markup(make_user, make_ticket):
    """The rows desk/rows.py writes: link, checkbox label, badges, tags, requester."""
    light = make_user(role=Role.LIGHT_AGENT)
    ticket = make_ticket(subject="Rivi <b>&</b>", priority=Priority.HIGH)
    actions.set_tags(ticket, ["vip"], actor=None, via=Via.SYSTEM)
    client = Client()
    client.force_login(light)
    page = client.get(reverse("desk:inbox") + "?view=open").content.decode()
    row = page[page.index(f'data-ticket-id="{ticket.pk}"') :]
    row = row[: row.index("</tr>")]
    assert f'data-ticket-url="{ticket.get_absolute_url()}"' in page
    assert (
        f'href="{ticket.get_absolute_url()}" class="subject">Rivi &lt;b&gt;&amp;&lt;/b&gt;</a>'
        in row
    )
    assert f"#{ticket.number}" in row
    assert '<span class="tag">vip</span>' in row
    assert "prio-high" in row and "status-new" in row
    assert str(ticket.requester) in row
    assert '<span class="muted">—</span>' in row  # no assignee


def test_a_message_without_outbound_rows_skips_the_delivery_template(make_ticket):
    """The shortcut writes exactly what the template writes for no rows."""
    from django.template.loader import render_to_string

    from tiski.desk.message_fragments import NO_DELIVERY

    ticket = make_ticket()
    message = ticket.messages.get()
    context = {"message": message, "emails": [], "outbound": []}
    assert render_to_string("channels/_delivery.html", context) == NO_DELIVERY


def test_inbox_rows_show_tags_by_name_and_escape_every_name(make_user, make_team, make_ticket):
    """The rows' tags come from one query for the page, in name order as the
    prefetched tags were; type, team, requester and assignee names are escaped."""
    agent = make_user(name="Aino <b>&</b>")
    team = make_team(name="Tuki & <i>myynti</i>")
    team.members.add(agent)
    kind, _created = TicketType.objects.get_or_create(
        slug="rivi", defaults={"name_fi": "Tyyppi <u>", "name_en": "Type <u>"}
    )
    ticket = make_ticket(subject="Tagit", team=team, type=kind, assignee=agent)
    other = make_ticket(subject="Ilman tageja", team=team)
    actions.set_tags(ticket, ["öljy", "alpha", "kiire"], actor=None, via=Via.SYSTEM)
    client = Client()
    client.force_login(agent)
    with CaptureQueriesContext(connection) as captured:
        page = client.get(reverse("desk:inbox") + "?view=open").content.decode()
    assert sum('FROM "tickets_ticket_tags"' in q["sql"] for q in captured.captured_queries) == 1
    row = page[page.index(f'data-ticket-id="{ticket.pk}"') :]
    row = row[: row.index("</tr>")]
    tags = ' <span class="tag">alpha</span> <span class="tag">kiire</span>'
    assert tags + ' <span class="tag">öljy</span>' in row
    assert " · Tyyppi &lt;u&gt; · Tuki &amp; &lt;i&gt;myynti&lt;/i&gt;" in row
    assert '<td class="col-assignee">Aino &lt;b&gt;&amp;&lt;/b&gt;</td>' in row
    bare = page[page.index(f'data-ticket-id="{other.pk}"') :]
    assert 'class="tag"' not in bare[: bare.index("</tr>")]


def test_ticket_page_reads_linked_and_merged_tickets_only_when_there_are_some(
    make_ticket, agent, agent_client
):
    """Most tickets have no links and no merges: the page asks the link table
    once and joins no tickets or users for merges that are not there."""
    ticket = make_ticket()
    agent_client.get(ticket.get_absolute_url())
    queries = queries_of(agent_client, ticket.get_absolute_url())
    assert not [q for q in queries if "DISTINCT" in q and 'FROM "tickets_ticket"' in q]
    merges = [q for q in queries if 'FROM "tickets_ticketmerge"' in q]
    assert len(merges) == 1 and "JOIN" not in merges[0]
    assert sum('FROM "tickets_ticketlink"' in q for q in queries) == 1

    other = make_ticket(subject="Toinen asia")
    actions.link_tickets(ticket, other, actor=agent, via=Via.AGENT)
    page = agent_client.get(ticket.get_absolute_url()).content.decode()
    assert 'data-link="mentions"' in page and "Toinen asia" in page
    assert 'data-link="mentioned-by"' not in page


# What an agent's ticket page reads, at most (tests/desk: SQLite, no mailbox):
# session, user, desk settings, the agent's teams; the ticket; the messages,
# their attachments, outbound emails and messages, the authors' and the
# requester's identities, the events; priority labels; the customer's latest
# messages, the chat session, the mailboxes (the reply routes); the type's
# fields, the tags, merges, links, follow state; the teams, the leads, the
# types and the agents (selects); the survey, the requester's other tickets,
# the children; the work-time card's agents and its switch; the help
# centre's version (suggested articles); the phone lines (click to call).
TICKET_PAGE_QUERIES = 31


def test_ticket_page_stays_within_its_query_count(make_ticket, agent, agent_client):
    """The page's fixed set of queries, for a short and a long conversation alike."""
    short, long = make_ticket(), make_ticket(subject="Pitkä")
    talk(short, agent, 2)
    talk(long, agent, 40)
    for ticket in (short, long):  # session, caches and each subject's suggestions warm
        agent_client.get(ticket.get_absolute_url())
    counts = [len(queries_of(agent_client, t.get_absolute_url())) for t in (short, long)]
    assert counts[0] == counts[1] <= TICKET_PAGE_QUERIES, counts


def test_ticket_page_reads_identities_once_and_no_user_twice(make_ticket, agent, agent_client):
    """The requester (an author too) and the authors' identities are one query;
    the events' actors and the assignees they name come from rows the page has."""
    ticket = make_ticket()
    talk(ticket, agent, 4)
    actions.update_ticket(ticket, actor=agent, via=Via.AGENT, assignee=agent)
    agent_client.get(ticket.get_absolute_url())
    queries = queries_of(agent_client, ticket.get_absolute_url())
    assert sum('FROM "customers_identity"' in q for q in queries) == 1
    assert not [q for q in queries if 'FROM "customers_contact"' in q]
    by_id = [q for q in queries if 'FROM "accounts_user" WHERE "accounts_user"."id" IN' in q]
    assert not by_id, by_id
    page = agent_client.get(ticket.get_absolute_url()).content.decode()
    assert str(ticket.requester.emails[0]) in page and "Aino Agentti" in page


def test_ticket_page_reads_field_values_and_hand_entries_only_when_there_are_some(
    make_ticket, agent, agent_client
):
    """No custom field values for a type without fields; no list of work-time
    changes by hand until one is recorded, and then it shows."""
    from tiski.worktime import services as worktime

    ticket = make_ticket()
    agent_client.get(ticket.get_absolute_url())
    queries = queries_of(agent_client, ticket.get_absolute_url())
    assert not [q for q in queries if 'FROM "tickets_ticketfieldvalue"' in q]
    assert not [q for q in queries if 'FROM "worktime_workentry"' in q]

    worktime.add_minutes(ticket, agent, 7, actor=agent, note="Puhelu asiakkaalle")
    queries = queries_of(agent_client, ticket.get_absolute_url())
    assert sum('FROM "worktime_workentry"' in q for q in queries) == 1
    page = agent_client.get(ticket.get_absolute_url()).content.decode()
    assert "Puhelu asiakkaalle" in page and "7 min" in page


def test_inbox_counts_an_unfiltered_list_once(make_ticket, agent_client, settings):
    """The bulk bar's "all N matching" of a view without filters is the
    sidebar's count of that view; a filtered list is counted for the bar."""
    settings.TISKI_PAGE_SIZE = 2
    for i in range(6):
        make_ticket(subject=f"Rivi {i}", priority=Priority.HIGH if i % 2 else Priority.LOW)

    def counts(url: str) -> tuple[int, str]:
        page = agent_client.get(url).content.decode()
        queries = queries_of(agent_client, url)
        return sum("COUNT(" in q for q in queries), page

    plain, page = counts(reverse("desk:inbox") + "?view=open")
    filtered, filtered_page = counts(reverse("desk:inbox") + "?view=open&priority=high")
    assert filtered == plain + 1
    bar = page.split('id="bulk-select-matching">')[1].split("<")[0]
    filtered_bar = filtered_page.split('id="bulk-select-matching">')[1].split("<")[0]
    assert " 6 " in bar and " 3 " in filtered_bar, (bar, filtered_bar)


@pytest.mark.parametrize("sort", ["queue", "-updated", "updated", "-created", "created"])
def test_inbox_rows_read_no_column_later(sort, make_user, make_team, make_ticket, settings):
    """The page reads only the columns rows show, and every order's sort
    keys: no row and no next-page cursor reads a column it left out."""
    settings.TISKI_PAGE_SIZE = 3
    agent = make_user(name="")  # shown by email
    team = make_team(name="Tuki")
    team.members.add(agent)
    kind, _created = TicketType.objects.get_or_create(
        slug="rivit", defaults={"name_fi": "Rivi", "name_en": "Row"}
    )
    for i in range(5):
        make_ticket(subject=f"Rivi {i}", team=team, type=kind, assignee=agent)
    client = Client()
    client.force_login(agent)
    url = reverse("desk:inbox") + f"?view=open&sort={sort}"
    client.get(url)
    queries = queries_of(client, url)
    # A column left out is read by id when touched; the session's user is read whole.
    tables = "tickets_ticket|accounts_user|customers_contact|accounts_team|tickets_tickettype"
    by_id = re.compile(rf'FROM "({tables})" WHERE "\1"\."id" = ')
    deferred = [q for q in queries if by_id.search(q) and '"accounts_user"."password"' not in q]
    assert not deferred, deferred
    page = client.get(url).content.decode()
    assert f'<td class="col-assignee">{agent.email}</td>' in page and "cursor=" in page
