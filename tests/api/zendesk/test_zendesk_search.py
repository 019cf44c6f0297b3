"""search.json: Zendesk's filters over the tickets the user sees, and the desk's full text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine

from tiski.api.zendesk.mapping import END_USER_BASE
from tiski.customers.models import Organisation
from tiski.search.indexing import index_tickets
from tiski.tickets import actions
from tiski.tickets.models import Via


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return sorted(r["id"] for r in response.json()["results"])


def test_filters(zendesk_for, make_user, make_team, make_ticket, make_contact):
    team = make_team("Myynti")
    agent = make_user(teams=(team,))
    other = make_user(teams=(team,), email="toinen@tiski.example")
    org = Organisation.objects.create(name="Yritys Oy")
    liisa = make_contact(email="liisa@example.fi", name="Liisa Laine", organisation=org)
    with time_machine.travel(datetime(2026, 1, 10, 9, 0, tzinfo=UTC), tick=False):
        old = make_ticket(subject="Vanha", team=team, priority="low", tags=["arkisto"])
    with time_machine.travel(datetime(2026, 6, 1, 9, 0, tzinfo=UTC), tick=False):
        mine = make_ticket(
            subject="Oma",
            team=team,
            assignee=agent,
            priority="urgent",
            tags=["vip"],
            requester=liisa,
        )
        theirs = make_ticket(subject="Toisen", team=team, assignee=other, priority="high")
        nobody = make_ticket(subject="Ei kenenkään", team=None, tags=["vip", "spam"])
    actions.update_ticket(old, actor=None, via=Via.SYSTEM, status="solved")
    zd = zendesk_for(agent)

    def search(query: str) -> list[int]:
        return _ids(zd.get("/api/v2/search.json", {"query": query}))

    assert search("type:ticket status<solved") == sorted(
        [mine.number, theirs.number, nobody.number]
    )
    assert search("status:solved") == [old.number]
    assert search("status>=solved") == [old.number]
    assert search("priority>normal") == sorted([mine.number, theirs.number])
    assert search("assignee:me") == [mine.number]
    assert search("assignee:toinen@tiski.example") == [theirs.number]
    assert search("assignee:none") == sorted([old.number, nobody.number])
    assert search("group:Myynti") == sorted([old.number, mine.number, theirs.number])
    assert search("group:none") == [nobody.number]
    assert search(f"group:{team.pk} -assignee:none") == sorted([mine.number, theirs.number])
    assert search("tags:vip") == sorted([mine.number, nobody.number])
    assert search("tags:vip tags:arkisto") == sorted([mine.number, nobody.number, old.number])
    assert search("tags:vip -tags:spam") == [mine.number]
    assert search("requester:liisa@example.fi") == [mine.number]
    assert search(f"requester:{END_USER_BASE + liisa.pk}") == [mine.number]
    assert search('organization:"Yritys Oy"') == [mine.number]
    assert search("created<2026-02-01") == [old.number]
    assert search("created:2026-01-10") == [old.number]
    assert search("created>2026-01-10 priority:urgent") == [mine.number]
    assert search("updated>1hours") == [old.number]  # solved just now
    assert search("solved>2026-01-01") == [old.number]


def test_free_text_sorting_paging_and_errors(zendesk_for, admin_user, make_ticket):
    base = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    made = []
    for i in range(3):
        with time_machine.travel(base + timedelta(hours=i), tick=False):
            made.append(make_ticket(subject=f"Tulostin {i} ei toimi", text="Paperi jumissa"))
    other = make_ticket(subject="Lasku", text="Summa väärin")
    index_tickets([t.pk for t in [*made, other]])
    zd = zendesk_for(admin_user)
    assert _ids(zd.get("/api/v2/search.json", {"query": "tulostin"})) == [t.number for t in made]
    assert _ids(zd.get("/api/v2/search.json", {"query": "type:ticket -tulostin"})) == [other.number]
    first = zd.get(
        "/api/v2/search.json",
        {"query": "tulostin", "sort_by": "created_at", "sort_order": "asc", "per_page": "2"},
    ).json()
    assert [r["id"] for r in first["results"]] == [made[0].number, made[1].number]
    assert first["count"] == 3 and first["previous_page"] is None
    assert all(r["result_type"] == "ticket" for r in first["results"])
    second = zd.get(first["next_page"].removeprefix("http://testserver")).json()
    assert [r["id"] for r in second["results"]] == [made[2].number]
    assert second["next_page"] is None and "page=1" in second["previous_page"]
    for params in ({"query": "status:poistettu"}, {"query": "x", "sort_by": "mood"}):
        refused = zd.get("/api/v2/search.json", params)
        assert refused.status_code == 400 and refused.json()["error"] == "InvalidParameter"


def test_users_and_organizations_by_type(zendesk_for, admin_user, make_contact):
    make_contact(email="liisa@example.fi", name="Liisa Laine")
    Organisation.objects.create(name="Laine Oy")
    zd = zendesk_for(admin_user)
    users = zd.get("/api/v2/search.json", {"query": "type:user liisa"}).json()["results"]
    assert [(u["result_type"], u["email"], u["role"]) for u in users] == [
        ("user", "liisa@example.fi", "end-user")
    ]
    orgs = zd.get("/api/v2/search.json", {"query": "type:organization Laine"}).json()["results"]
    assert [(o["result_type"], o["name"]) for o in orgs] == [("organization", "Laine Oy")]
