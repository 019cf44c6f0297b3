"""The desk's lists kept by the web process (core/config_cache.py): read once,
the same page from them, and read again as soon as an admin changes one."""

from __future__ import annotations

import re
import time

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conftest import PASSWORD
from tiski.connectors.models import Mailbox
from tiski.connectors.phone.models import PhoneLine
from tiski.core import config_cache
from tiski.core.models import DeskSettings
from tiski.core.request_memo import request_scope
from tiski.macros.models import Macro
from tiski.tickets.models import Priority, PriorityLabel, TicketField, TicketType
from tiski.worktime.models import WorktimeSettings

pytestmark = pytest.mark.django_db

# The tables behind the lists a desk page keeps.
KEPT_TABLES = (
    '"tickets_prioritylabel"',
    '"tickets_tickettype"',
    '"tickets_ticketfield"',
    '"accounts_team_leads"',
    '"comms_mailbox"',
    '"worktime_worktimesettings"',
    '"phone_phoneline"',
    '"macros_macro"',
    '"search_savedsearch"',
    '"knowledge_helpcentresettings"',
)


VARYING = r'(csrfmiddlewaretoken" value|nonce|"X-CSRFToken")(=|: )"[^"]+"'


@pytest.fixture(autouse=True)
def _synonyms_kept_all_test(monkeypatch):
    monkeypatch.setattr("tiski.search.service.SYNONYM_CACHE_SECONDS", None)


@pytest.fixture(autouse=True)
def _settings_row():
    """The row the migration makes (a transactional test before may have emptied the table)."""
    DeskSettings.load()


@pytest.fixture
def agent(make_user, make_team):
    agent = make_user(name="Aino Agentti")
    team = make_team(name="Laskutus")
    team.members.add(agent)
    team.leads.add(make_user(name="Liisa Liidi"))
    return agent


@pytest.fixture
def client(agent):
    client = Client()
    client.login(email=agent.email, password=PASSWORD)
    return client


@pytest.fixture
def desk_lists():
    """Something in every kept list."""
    PriorityLabel.objects.create(priority=Priority.URGENT, language="fi", label="Heti")
    TicketField.objects.create(key="tilaus", label_fi="Tilausnumero", label_en="Order")
    Mailbox.objects.create(address="tuki@example.fi", display_name="Tuki")
    PhoneLine.objects.create(
        number="+358401234567",
        name="Vaihde",
        token_digest="a" * 64,
        click_to_call_url="https://pbx.example/",
    )
    Macro.objects.create(name="Kiitos", text_fi="Kiitos!", text_en="Thanks!")


def _get(client: Client, url: str) -> tuple[str, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    # A CSRF token is masked anew on every render, a script nonce is new for
    # every response; nothing else may differ.
    page = re.sub(VARYING, "", response.content.decode())
    return page, [q["sql"] for q in captured.captured_queries]


def _kept_reads(queries: list[str]) -> list[str]:
    return [q for q in queries if any(f"FROM {table}" in q for table in KEPT_TABLES)]


@pytest.mark.usefixtures("desk_lists")
@pytest.mark.parametrize("page", ["ticket", "inbox"])
def test_a_warm_page_reads_no_kept_list_and_is_the_same_page(page, client, make_ticket):
    ticket = make_ticket(priority=Priority.URGENT)
    url = ticket.get_absolute_url() if page == "ticket" else reverse("desk:inbox")
    client.get(url)  # the session and the message blocks warm
    config_cache.clear()
    cold_page, cold = _get(client, url)
    warm_page, warm = _get(client, url)

    assert _kept_reads(cold), "the cold page reads the lists"
    assert _kept_reads(warm) == []
    assert len(warm) < len(cold)
    assert warm_page == cold_page


def _escalation_and_selects(client: Client, ticket) -> str:
    return client.get(ticket.get_absolute_url()).content.decode()


def test_a_change_shows_on_the_next_request(client, agent, make_ticket, make_user):
    ticket = make_ticket(priority=Priority.URGENT)
    page = _escalation_and_selects(client, ticket)
    assert "Laskutus" in page and "Heti" not in page and "Takuuasia" not in page

    team = agent.teams.get()
    team.name = "Laskut ja maksut"
    team.save()
    PriorityLabel.objects.create(priority=Priority.URGENT, language="fi", label="Heti")
    TicketType.objects.create(slug="takuu", name_fi="Takuuasia", name_en="Warranty")
    newcomer = make_user(name="Uusi Agentti")
    page = _escalation_and_selects(client, ticket)
    assert "Laskut ja maksut" in page and "Heti" in page and "Takuuasia" in page
    assert "Uusi Agentti" in page

    # A lead added through the relation, a person switched off, a type hidden.
    team.leads.add(newcomer)
    page = _escalation_and_selects(client, ticket)
    assert "Uusi Agentti, " in page  # "<lead>, lead of <team>" in the escalation form
    newcomer.is_active = False
    newcomer.save(update_fields=["is_active"])
    TicketType.objects.get(slug="takuu").delete()
    page = _escalation_and_selects(client, ticket)
    assert "Uusi Agentti" not in page and "Takuuasia" not in page


def test_bookkeeping_saves_keep_the_lists(agent, make_team):
    team = agent.teams.get()
    before = DeskSettings.objects.get(pk=1).lists_version
    team.last_routed_to = agent
    team.save(update_fields=["last_routed_to"])
    agent.save(update_fields=["last_login"])
    agent.chat_available = True
    agent.save(update_fields=["chat_available"])
    assert DeskSettings.objects.get(pk=1).lists_version == before

    agent.name = "Aino Asiakaspalvelija"
    agent.save(update_fields=["name"])
    assert DeskSettings.objects.get(pk=1).lists_version != before


def test_every_change_is_a_new_version_and_a_rollback_takes_its_own_back():
    first = DeskSettings.objects.get(pk=1).lists_version
    with pytest.raises(RuntimeError), transaction.atomic():
        TicketType.objects.create(slug="hetki", name_fi="Hetki", name_en="Moment")
        assert DeskSettings.objects.get(pk=1).lists_version != first
        raise RuntimeError("the admin's save failed")
    assert DeskSettings.objects.get(pk=1).lists_version == first
    seen = {first}
    for n in range(5):
        TicketType.objects.create(slug=f"t{n}", name_fi=f"T{n}", name_en=f"T{n}")
        version = DeskSettings.objects.get(pk=1).lists_version
        assert version not in seen
        seen.add(version)


def test_kept_outside_a_request_reads_every_time():
    reads = []
    for _ in range(2):
        config_cache.kept("probe", lambda: reads.append(1) or len(reads))
    assert len(reads) == 2


def test_kept_reads_once_per_version_and_again_after_its_time(monkeypatch):
    reads: list[int] = []

    def read() -> int:
        reads.append(1)
        return len(reads)

    with request_scope("v1"):
        assert config_cache.kept("probe", read) == 1
    with request_scope("v1"):
        assert config_cache.kept("probe", read) == 1
    with request_scope("v2"):
        assert config_cache.kept("probe", read) == 2
    # A write that sent no signal is seen once the entry's time is up.
    later = time.monotonic() + config_cache.KEEP_SECONDS + 1
    monkeypatch.setattr(config_cache.time, "monotonic", lambda: later)
    with request_scope("v2"):
        assert config_cache.kept("probe", read) == 3
    with request_scope(None):  # no settings row: nothing kept
        assert config_cache.kept("probe", read) == 4


def test_without_the_settings_row_nothing_is_kept(client, make_ticket):
    ticket = make_ticket()
    DeskSettings.objects.all().delete()
    client.get(ticket.get_absolute_url())
    _page, queries = _get(client, ticket.get_absolute_url())
    assert any('FROM "tickets_tickettype"' in q for q in queries)


def test_a_switched_off_work_time_and_a_removed_phone_line_show_at_once(client, make_ticket):
    PhoneLine.objects.create(
        number="+358401234567",
        name="Vaihde",
        token_digest="b" * 64,
        click_to_call_url="https://pbx.example/",
    )
    ticket = make_ticket()
    page = _escalation_and_selects(client, ticket)
    beat = f"/worktime/tickets/{ticket.number}/beat/"
    assert 'data-click-to-call="1"' in page and beat in page

    settings_row = WorktimeSettings.load()
    settings_row.tracking_enabled = False
    settings_row.save()
    PhoneLine.objects.get().delete()
    page = _escalation_and_selects(client, ticket)
    assert 'data-click-to-call=""' in page and beat not in page


@pytest.mark.parametrize("how", ["user's teams", "team's members"])
def test_leaving_a_restricted_team_hides_its_tickets_on_the_next_request(
    how, make_user, make_team, make_ticket
):
    """Which teams a person is in is kept too (tickets.models._team_ids), and
    it decides what they may see: a membership ended either way the desk ends
    one takes effect with the next request."""
    agent = make_user()
    secret = make_team(name="Henkilöstö", restricted=True)
    secret.members.add(agent)
    ticket = make_ticket(team=secret)
    client = Client()
    client.force_login(agent)
    assert client.get(ticket.get_absolute_url()).status_code == 200
    assert client.get(ticket.get_absolute_url()).status_code == 200  # from what was kept

    if how == "user's teams":  # Settings → Agents
        agent.teams.set([])
    else:
        secret.members.remove(agent)
    assert client.get(ticket.get_absolute_url()).status_code == 404

    secret.members.add(agent)
    assert client.get(ticket.get_absolute_url()).status_code == 200

    secret.restricted = False
    secret.save()
    secret.members.remove(agent)
    assert client.get(ticket.get_absolute_url()).status_code == 404  # not in the team
    secret.restricted = True
    secret.save(update_fields=["restricted"])
    assert client.get(ticket.get_absolute_url()).status_code == 404
