"""Offset and cursor pages, users across agents and contacts, and the incremental export."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine

from tiski.api.zendesk.mapping import END_USER_BASE
from tiski.tickets import actions
from tiski.tickets.models import Via


def _path(url: str) -> str:
    return url.removeprefix("http://testserver")


def test_offset_and_cursor_pages_of_tickets(zendesk_for, admin_user, make_ticket):
    numbers = [make_ticket().number for _ in range(5)]
    zd = zendesk_for(admin_user)
    first = zd.get("/api/v2/tickets.json", {"per_page": "2"}).json()
    assert [t["id"] for t in first["tickets"]] == numbers[:2]
    assert first["count"] == 5 and first["previous_page"] is None
    third = zd.get("/api/v2/tickets.json", {"per_page": "2", "page": "3"}).json()
    assert [t["id"] for t in third["tickets"]] == numbers[4:]
    assert third["next_page"] is None and "page=2" in third["previous_page"]

    seen, url, params = [], "/api/v2/tickets.json", {"page[size]": "2"}
    while True:
        page = zd.get(url, params).json()
        seen += [t["id"] for t in page["tickets"]]
        if not page["meta"]["has_more"]:
            break
        url, params = _path(page["links"]["next"]), None
    assert seen == numbers
    back = zd.get(_path(page["links"]["prev"])).json()
    assert [t["id"] for t in back["tickets"]] == numbers[2:4]
    assert back["meta"]["has_more"] is True


def test_bad_page_parameters_are_400(zendesk_for, admin_user):
    zd = zendesk_for(admin_user)
    for params in (
        {"per_page": "101"},
        {"page": "0"},
        {"page[size]": "x"},
        {"page[after]": "@@@"},
        {"page[before]": "bm90LWEtbnVtYmVy"},
    ):
        refused = zd.get("/api/v2/tickets.json", params)
        assert refused.status_code == 400, params
        assert refused.json()["error"] in ("InvalidPaginationParameter", "InvalidParameter")


def test_users_page_through_agents_then_contacts(zendesk_for, admin_user, make_user, make_contact):
    agents = [admin_user, make_user(), make_user()]
    contacts = [make_contact() for _ in range(3)]
    expected = [a.pk for a in agents] + [END_USER_BASE + c.pk for c in contacts]
    zd = zendesk_for(admin_user)
    seen, url, params = [], "/api/v2/users.json", {"page[size]": "2"}
    while True:
        page = zd.get(url, params).json()
        seen += [u["id"] for u in page["users"]]
        if not page["meta"]["has_more"]:
            break
        url, params = _path(page["links"]["next"]), None
    assert seen == expected
    back = zd.get(_path(page["links"]["prev"])).json()
    assert [u["id"] for u in back["users"]] == expected[2:4]
    offset = zd.get("/api/v2/users.json", {"per_page": "4", "page": "2"}).json()
    assert [u["id"] for u in offset["users"]] == expected[4:] and offset["count"] == 6
    end_users = zd.get("/api/v2/users.json", {"role": "end-user"}).json()["users"]
    assert [u["id"] for u in end_users] == expected[3:]
    admins = zd.get("/api/v2/users.json", {"role[]": "admin"}).json()["users"]
    assert [u["id"] for u in admins] == [admin_user.pk]
    shown = zd.get(f"/api/v2/users/{expected[3]}.json").json()["user"]
    assert shown["email"] == contacts[0].emails[0] and shown["role"] == "end-user"
    many = zd.get("/api/v2/users/show_many.json", {"ids": f"{expected[1]},{expected[4]}"}).json()
    assert [u["id"] for u in many["users"]] == [expected[1], expected[4]]
    assert zd.get(f"/api/v2/users/{END_USER_BASE + 999999}.json").status_code == 404


def test_incremental_by_time_never_misses_a_change(zendesk_for, admin_user, make_ticket):
    base = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
    made = []
    for i in range(4):
        # Two tickets share each second: a page must not end between them.
        with time_machine.travel(
            base + timedelta(seconds=i // 2, milliseconds=100 * i), tick=False
        ):
            made.append(make_ticket(subject=f"T{i}"))
    zd = zendesk_for(admin_user)
    start = int(base.timestamp())
    first = zd.get(
        "/api/v2/incremental/tickets.json", {"start_time": str(start), "per_page": "1"}
    ).json()
    # The whole first second came, and the next page moves on past it.
    assert [t["id"] for t in first["tickets"]] == [made[0].number, made[1].number]
    assert first["end_of_stream"] is False and first["end_time"] == start + 1
    second = zd.get(_path(first["next_page"])).json()
    assert [t["id"] for t in second["tickets"]] == [made[2].number, made[3].number]
    assert second["end_time"] == start + 2
    rest = zd.get(
        "/api/v2/incremental/tickets.json", {"start_time": str(start + 1), "per_page": "10"}
    ).json()
    assert [t["id"] for t in rest["tickets"]] == [made[2].number, made[3].number]
    assert rest["end_of_stream"] is True and rest["end_time"] == start + 1
    # A later change brings the ticket back, newer.
    with time_machine.travel(base + timedelta(minutes=5), tick=False):
        actions.update_ticket(made[0], actor=None, via=Via.SYSTEM, priority="high")
    again = zd.get(_path(rest["next_page"])).json()
    assert [t["id"] for t in again["tickets"]][-1] == made[0].number
    assert again["tickets"][-1]["priority"] == "high"
    for params in ({}, {"start_time": "eilen"}, {"start_time": "0", "per_page": "1001"}):
        refused = zd.get("/api/v2/incremental/tickets.json", params)
        assert refused.status_code == 400 and refused.json()["error"] == "InvalidParameter"


def test_incremental_by_cursor_resumes_exactly(zendesk_for, admin_user, make_ticket):
    base = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
    made = []
    for i in range(3):
        with time_machine.travel(base + timedelta(seconds=i), tick=False):
            made.append(make_ticket())
    zd = zendesk_for(admin_user)
    page = zd.get(
        "/api/v2/incremental/tickets/cursor.json",
        {"start_time": str(int(base.timestamp())), "per_page": "2"},
    ).json()
    assert [t["id"] for t in page["tickets"]] == [made[0].number, made[1].number]
    assert page["end_of_stream"] is False
    page = zd.get(_path(page["after_url"])).json()
    assert [t["id"] for t in page["tickets"]] == [made[2].number]
    assert page["end_of_stream"] is True
    idle = zd.get(_path(page["after_url"])).json()
    assert idle["tickets"] == [] and idle["end_of_stream"] is True
    assert idle["after_cursor"] == page["after_cursor"]
    with time_machine.travel(base + timedelta(minutes=1), tick=False):
        actions.update_ticket(made[1], actor=None, via=Via.SYSTEM, priority="low")
    changed = zd.get(_path(page["after_url"])).json()
    assert [t["id"] for t in changed["tickets"]] == [made[1].number]
    refused = zd.get("/api/v2/incremental/tickets/cursor.json", {"cursor": "roskaa"})
    assert refused.status_code == 400


def test_comments_of_a_merged_ticket_come_in_time_order(zendesk_for, admin_user, make_ticket):
    base = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
    with time_machine.travel(base, tick=False):
        target = make_ticket(text="Ensin")
    with time_machine.travel(base + timedelta(hours=2), tick=False):
        actions.add_message(
            target, kind="internal", actor=admin_user, via=Via.AGENT, text="Kolmanneksi"
        )
    # Written after, but said in between: its id is the newest, its time is not.
    with time_machine.travel(base + timedelta(hours=1), tick=False):
        source = make_ticket(text="Toiseksi", requester=target.requester)
    with time_machine.travel(base + timedelta(hours=3), tick=False):
        actions.merge_tickets(source, target, actor=admin_user, via=Via.AGENT)
    zd = zendesk_for(admin_user)
    url = f"/api/v2/tickets/{target.number}/comments.json"
    bodies, params = [], {"page[size]": "1"}
    while True:
        page = zd.get(url, params).json()
        bodies += [c["body"] for c in page["comments"]]
        if not page["meta"]["has_more"]:
            break
        url, params = _path(page["links"]["next"]), None
    assert bodies == ["Ensin", "Toiseksi", "Kolmanneksi"]
    back = zd.get(_path(page["links"]["prev"])).json()
    assert [c["body"] for c in back["comments"]] == ["Toiseksi"]
    newest = zd.get(
        f"/api/v2/tickets/{target.number}/comments.json", {"sort_order": "desc", "per_page": "2"}
    ).json()
    assert [c["body"] for c in newest["comments"]] == ["Kolmanneksi", "Toiseksi"]
