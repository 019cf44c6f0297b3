"""The search page, the suggestions under the top-bar box, saved searches, and no leaks."""

from __future__ import annotations

import pytest
from django.utils.html import escape
from django.utils.http import urlencode

from tests.desk.test_restricted_leaks import (
    SECRET_NOTE,
    SECRET_SUBJECT,
    SECRET_TEXT,
    assert_no_trace,
)
from tiski.search.models import SavedSearch
from tiski.search.service import saved_views_for, search_tickets


@pytest.fixture
def agent(make_user):
    return make_user()


def test_search_page_lists_tickets_contacts_and_organisations(client, agent, indexed_ticket):
    ticket = indexed_ticket(subject="Pesukone vuotaa", text="Vettä lattialla")
    client.force_login(agent)
    body = client.get("/search/", {"q": "pesukone"}).content.decode()
    assert "Pesukone vuotaa" in body and f"#{ticket.number}" in body
    assert "<mark>" in body or "Vettä lattialla" in body
    assert 'class="badge status-new"' in body
    contacts = client.get("/search/", {"q": "Meikäläinen"}).content.decode()
    assert 'href="/contacts/' in contacts


def test_empty_search_page_explains_the_syntax(client, agent):
    client.force_login(agent)
    body = client.get("/search/").content.decode()
    assert "status:open,pending" in body and "created&gt;2026-01-01" in body


def test_number_jumps_to_a_visible_ticket(client, agent, indexed_ticket):
    ticket = indexed_ticket(subject="Hyppy", text="x")
    client.force_login(agent)
    response = client.get("/search/", {"q": f"#{ticket.number}"})
    assert response.status_code == 302 and response["Location"] == ticket.get_absolute_url()


def test_suggest_dropdown(client, agent, indexed_ticket):
    indexed_ticket(subject="Astianpesukone", text="Ei lähde käyntiin")
    client.force_login(agent)
    assert client.get("/search/suggest/", {"q": "a"}).content == b""
    body = client.get("/search/suggest/", {"q": "astianpes"}).content.decode()
    assert "Astianpesukone" in body and "/search/?q=astianpes" in body
    bad = client.get("/search/suggest/", {"q": "created>eilen"})
    assert bad.status_code == 200 and "eilen" in bad.content.decode()


def test_top_bar_has_the_search_box(client, agent):
    client.force_login(agent)
    body = client.get("/").content.decode()
    assert 'id="search-q"' in body and 'hx-get="/search/suggest/"' in body


def test_save_and_delete_saved_search(client, agent, make_user):
    client.force_login(agent)
    response = client.post("/search/saved/", {"q": "status:open tag:vip", "name": "VIP avoimet"})
    assert response.status_code == 302
    saved = SavedSearch.objects.get(user=agent)
    assert (saved.name, saved.query) == ("VIP avoimet", "status:open tag:vip")
    # Saving under the same name replaces the query.
    client.post("/search/saved/", {"q": "status:pending tag:vip", "name": "VIP avoimet"})
    assert SavedSearch.objects.get(user=agent).query == "status:pending tag:vip"
    assert saved_views_for(agent) == [
        ("VIP avoimet", "status:pending tag:vip", "/search/?q=status%3Apending+tag%3Avip")
    ]
    body = client.get("/search/").content.decode()
    assert "VIP avoimet" in body
    # Someone else cannot remove it.
    other = make_user()
    client.force_login(other)
    client.post("/search/saved/delete/", {"id": saved.pk})
    assert SavedSearch.objects.filter(pk=saved.pk).exists()
    client.force_login(agent)
    client.post("/search/saved/delete/", {"id": saved.pk})
    assert not SavedSearch.objects.exists()


def test_saving_needs_a_query(client, agent):
    client.force_login(agent)
    assert client.post("/search/saved/", {"name": "x"}).status_code == 302
    assert not SavedSearch.objects.exists()


def test_login_required(client):
    assert client.get("/search/", {"q": "x"}).status_code == 302
    assert client.get("/search/suggest/", {"q": "xx"}).status_code == 302


# --- a restricted team's ticket never shows up for an outsider ---------------


@pytest.fixture
def secret(make_team, make_user, make_contact, indexed_ticket, committed):
    from tiski.tickets import actions
    from tiski.tickets.models import MessageKind, Via

    hr = make_team("Henkilöstö", restricted=True)
    hr_agent = make_user(teams=(hr,))
    ticket = indexed_ticket(
        subject=SECRET_SUBJECT,
        text=SECRET_TEXT,
        requester=make_contact(email="tyontekija@yritys.fi", name="Tero Työntekijä"),
        team=hr,
        assignee=hr_agent,
        tags=["salainen-tagi"],
    )
    with committed():
        actions.add_message(
            ticket, kind=MessageKind.INTERNAL, actor=hr_agent, via=Via.AGENT, text=SECRET_NOTE
        )
    return {"ticket": ticket, "member": hr_agent}


QUERIES = [
    "Salainen irtisanomisasia",
    '"Salainen irtisanomisasia"',
    "Henkilöstöasia",
    "Luottamuksellinen muistiinpano",
    "tag:salainen-tagi",
    "team:Henkilöstö",
    "from:tyontekija@yritys.fi",
    "status:open",
    "#{number}",
    "salainen",
    # Analysed forms: an inflection, a prefix, a compound's word, a typo
    # corrected from the index's vocabulary (which holds restricted words too).
    "irtisanomisasiasta",
    "irtisanomis",
    "henkilöstöasiat",
    "Henkilöstöasai",
]


def test_restricted_ticket_never_reaches_an_outsider(client, make_user, make_team, secret):
    """Not in results, counts, snippets or suggestions, even for an exact match."""
    outsider = make_user(teams=(make_team("Myynti"),))
    ticket = secret["ticket"]
    for template in QUERIES:
        query = template.format(number=ticket.number)
        results = search_tickets(outsider, query)
        assert results.hits == [] and results.count == 0, query
        # The member of the team does find it: the query itself is right.
        assert [h.ticket.pk for h in search_tickets(secret["member"], query).hits] == [ticket.pk]
        client.force_login(outsider)
        for url in ("/search/", "/search/suggest/"):
            response = client.get(url, {"q": query})
            assert response.status_code == 200, (url, query)
            # The page repeats what was typed; anything else must not show.
            body = response.content.decode().replace(escape(query), "")
            body = body.replace(escape(urlencode({"q": query})), "")
            assert_no_trace(body, url, {"ticket": ticket})
            assert ticket.get_absolute_url() not in body


def test_outsiders_count_excludes_restricted(make_user, make_team, secret, indexed_ticket):
    outsider = make_user(teams=(make_team("Myynti"),))
    for _ in range(3):
        indexed_ticket(subject="Salainen mutta julkinen", text="x")
    results = search_tickets(outsider, "salainen", limit=2)
    assert results.count == 3 and len(results.hits) == 2
    assert search_tickets(secret["member"], "salainen", limit=2).count == 4


def test_search_results_can_be_selected_for_a_bulk_change(client, agent, indexed_ticket):
    """Search hits are a ticket list too: each has its checkbox for the bulk bar,
    and the bulk change returns to the same search with its confirmation."""
    ticket = indexed_ticket(subject="Kahvinkeitin ei lämpene", text="x")
    client.force_login(agent)
    body = client.get("/search/", {"q": "kahvinkeitin"}).content.decode()
    assert 'id="bulk-form"' in body
    assert f'name="ticket" value="{ticket.pk}" form="bulk-form"' in body
    response = client.post(
        "/tickets/bulk/",
        {
            "ticket": [ticket.pk],
            "op": "update",
            "priority": "high",
            "next": "/search/?q=kahvinkeitin",
        },
    )
    assert response["Location"] == "/search/?q=kahvinkeitin"
    ticket.refresh_from_db()
    assert ticket.priority == "high"
    assert 'id="bulk-undo"' in client.get(response["Location"]).content.decode()
