"""The desk's rule settings: who gets in, the lists, switching, ordering, copies."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tiski.accounts.models import Role
from tiski.rules.models import RuleFiring, TimeRule, Trigger
from tiski.tickets.models import Ticket

from .htmlform import element

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
ADD_TAG = [{"type": "add_tags", "tags": ["x"]}]


def make_trigger(name: str = "Laskutus", position: int = 0, **fields) -> Trigger:
    fields.setdefault("events", ["ticket_created"])
    fields.setdefault("actions", ADD_TAG)
    return Trigger.objects.create(name=name, position=position, **fields)


def rule_urls(pk: int) -> list[tuple[str, str]]:
    """(method, url) of every rule page, for both kinds."""
    urls = [("get", reverse("rules:home")), ("get", reverse("rules:builder-row"))]
    for kind in ("trigger", "time"):
        urls += [
            ("get", reverse(f"rules:{kind}-list")),
            ("get", reverse(f"rules:{kind}-new")),
            ("post", reverse(f"rules:{kind}-new")),
            ("post", reverse(f"rules:{kind}-order")),
        ]
        for view, method in (
            ("edit", "get"),
            ("edit", "post"),
            ("active", "post"),
            ("move", "post"),
            ("duplicate", "post"),
            ("delete", "get"),
            ("delete", "post"),
            ("firings", "get"),
        ):
            urls.append((method, reverse(f"rules:{kind}-{view}", args=[pk])))
    return urls


def test_agents_are_refused_every_rule_page(client, make_user):
    """An agent gets 403 from every page and partial, and a POST changes nothing."""
    trigger = make_trigger()
    client.force_login(make_user(role=Role.AGENT))
    for method, url in rule_urls(trigger.pk):
        response = getattr(client, method)(url, {"name": "Hijacked", "active": "0"})
        assert response.status_code == 403, f"{method.upper()} {url}: {response.status_code}"
    trigger.refresh_from_db()
    assert trigger.name == "Laskutus" and trigger.active
    assert Trigger.objects.count() == 1


def test_light_agents_are_refused_too(client, make_user):
    client.force_login(make_user(role=Role.LIGHT_AGENT))
    assert client.get(reverse("rules:trigger-list")).status_code == 403


def test_anonymous_visitors_go_to_the_login_page(client):
    response = client.get(reverse("rules:trigger-list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("desk:login"))


def test_admin_sees_both_lists_with_their_columns(client, admin_user):
    trigger = make_trigger("Laskutustagi", events=["ticket_created", "customer_replied"])
    Trigger.objects.filter(pk=trigger.pk).update(fire_count=7)
    admin_user.language = "en"
    admin_user.save()
    client.force_login(admin_user)
    page = client.get(reverse("rules:trigger-list"))
    assert page.status_code == 200
    rows = element(page.content.decode(), "rule-rows")
    assert "Laskutustagi" in rows
    # Events by their names for people, not their codes.
    assert "Ticket is created, Customer replies" in rows and "ticket_created" not in rows
    assert '<td class="num-col">7</td>' in rows
    body = page.content.decode()
    assert reverse("rules:trigger-firings", args=[trigger.pk]) in body

    time_page = client.get(reverse("rules:time-list"))
    assert time_page.status_code == 200
    for rule in TimeRule.objects.all():
        assert rule.name in time_page.content.decode()


def test_settings_link_in_the_top_bar_is_for_admins(client, admin_user, make_user):
    client.force_login(admin_user)
    inbox = client.get("/").content.decode()
    assert f'href="{reverse("setup:home")}"' in inbox
    home = client.get(reverse("setup:home")).content.decode()
    assert f'href="{reverse("rules:trigger-list")}"' in home
    client.force_login(make_user())
    inbox = client.get("/").content.decode()
    assert reverse("setup:home") not in inbox
    assert client.get(reverse("rules:trigger-list")).status_code == 403
    # The Django admin is a technical tool: linked for superusers only.
    client.force_login(admin_user)
    settings_page = client.get(reverse("rules:trigger-list")).content.decode()
    assert 'class="active" aria-current="page">Laukaisimet<' in settings_page
    assert f'href="{reverse("admin:index")}"' not in settings_page
    admin_user.is_superuser = True
    admin_user.save()
    settings_page = client.get(reverse("rules:trigger-list")).content.decode()
    assert f'href="{reverse("admin:index")}"' in settings_page


def test_switching_a_rule_off_and_on_with_htmx(client, admin_user):
    trigger = make_trigger()
    client.force_login(admin_user)
    url = reverse("rules:trigger-active", args=[trigger.pk])
    response = client.post(url, {"active": "0"}, **HTMX)
    assert response.status_code == 200
    trigger.refresh_from_db()
    assert not trigger.active
    # The rows come back with the new state, ready to switch back on.
    body = response.content.decode()
    assert body.startswith('<tbody id="rule-rows">')
    row = element(body, f"rule-{trigger.pk}")
    assert 'aria-checked="false"' in row and 'name="active" value="1"' in row
    # The wanted state is sent, so repeating the request does not flip it back.
    client.post(url, {"active": "0"}, **HTMX)
    trigger.refresh_from_db()
    assert not trigger.active
    client.post(url, {"active": "1"}, **HTMX)
    trigger.refresh_from_db()
    assert trigger.active


def test_switching_without_javascript_goes_back_to_the_list(client, admin_user):
    rule = TimeRule.objects.order_by("position").first()
    client.force_login(admin_user)
    response = client.post(reverse("rules:time-active", args=[rule.pk]), {"active": "0"})
    assert response.status_code == 302 and response["Location"] == reverse("rules:time-list")
    rule.refresh_from_db()
    assert not rule.active


def _order(model=Trigger) -> list[str]:
    return list(model.objects.order_by("position", "id").values_list("name", flat=True))


def test_moving_rules_up_and_down_persists_the_order(client, admin_user):
    for n, name in enumerate(["A", "B", "C"]):
        make_trigger(name, position=n)
    b = Trigger.objects.get(name="B")
    client.force_login(admin_user)
    response = client.post(reverse("rules:trigger-move", args=[b.pk]), {"direction": "up"}, **HTMX)
    assert response.status_code == 200
    assert _order() == ["B", "A", "C"]
    body = response.content.decode()
    assert body.index(">B<") < body.index(">A<") < body.index(">C<")
    client.post(reverse("rules:trigger-move", args=[b.pk]), {"direction": "down"})
    client.post(reverse("rules:trigger-move", args=[b.pk]), {"direction": "down"})
    assert _order() == ["A", "C", "B"]
    # Past the end it stays where it is.
    client.post(reverse("rules:trigger-move", args=[b.pk]), {"direction": "down"})
    assert _order() == ["A", "C", "B"]


def test_dragged_order_is_saved_and_the_engine_uses_it(client, admin_user):
    rules = {name: make_trigger(name, position=n) for n, name in enumerate("ABCD")}
    client.force_login(admin_user)
    wanted = [rules[n].pk for n in "DBAC"]
    response = client.post(
        reverse("rules:trigger-order"), {"order": [str(pk) for pk in wanted] + ["999999"]}, **HTMX
    )
    assert response.status_code == 200
    assert _order() == ["D", "B", "A", "C"]
    from tiski.rules.engine import _active_triggers

    assert [rule.name for rule in _active_triggers(frozenset({"ticket_created"}))] == list("DBAC")


def test_shipped_time_rules_can_be_reordered(client, admin_user):
    names = _order(TimeRule)
    last = TimeRule.objects.get(name=names[-1])
    client.force_login(admin_user)
    client.post(reverse("rules:time-move", args=[last.pk]), {"direction": "up"})
    assert _order(TimeRule) == [*names[:-2], names[-1], names[-2]]


def test_duplicate_is_switched_off_and_placed_after_the_original(client, admin_user):
    make_trigger("A", position=10)
    original = make_trigger(
        "B",
        position=20,
        conditions={"all": [{"type": "status", "op": "equals", "value": "new"}]},
    )
    make_trigger("C", position=30)
    client.force_login(admin_user)
    response = client.post(reverse("rules:trigger-duplicate", args=[original.pk]))
    copy = Trigger.objects.exclude(pk__in=[original.pk]).get(name__startswith="B ")
    assert response.status_code == 302
    assert response["Location"] == reverse("rules:trigger-edit", args=[copy.pk])
    assert not copy.active and copy.fire_count == 0 and copy.created_by == admin_user
    assert (copy.conditions, copy.actions, copy.events) == (
        original.conditions,
        original.actions,
        original.events,
    )
    assert _order() == ["A", "B", copy.name, "C"]


def test_delete_asks_first_then_removes_the_rule_but_keeps_its_log(client, admin_user, make_ticket):
    trigger = make_trigger("Poistettava")
    ticket = make_ticket()
    RuleFiring.objects.create(
        rule_kind="trigger", rule_id=trigger.pk, rule_name=trigger.name, ticket=ticket
    )
    client.force_login(admin_user)
    url = reverse("rules:trigger-delete", args=[trigger.pk])
    confirm = client.get(url)
    assert confirm.status_code == 200 and "Poistettava" in confirm.content.decode()
    assert Trigger.objects.filter(pk=trigger.pk).exists()
    response = client.post(url)
    assert response.status_code == 302
    assert not Trigger.objects.filter(pk=trigger.pk).exists()
    assert RuleFiring.objects.filter(rule_id=trigger.pk, rule_kind="trigger").count() == 1


def test_firings_page_lists_this_rules_firings_only(client, admin_user, make_ticket):
    mine, other = make_trigger("Minun"), make_trigger("Toinen")
    first = make_ticket(subject="Ensimmäinen tiketti")
    second = make_ticket(subject="Toinen tiketti")
    RuleFiring.objects.create(
        rule_kind="trigger",
        rule_id=mine.pk,
        rule_name=mine.name,
        ticket=first,
        summary="priority normal→high",
    )
    RuleFiring.objects.create(
        rule_kind="trigger", rule_id=other.pk, rule_name=other.name, ticket=second
    )
    # Same id, other kind: a time rule's firing is not this trigger's.
    RuleFiring.objects.create(rule_kind="time", rule_id=mine.pk, rule_name="x", ticket=second)
    client.force_login(admin_user)
    body = client.get(reverse("rules:trigger-firings", args=[mine.pk])).content.decode()
    assert "Ensimmäinen tiketti" in body and "priority normal→high" in body
    assert reverse("desk:ticket", args=[first.number]) in body
    assert "Toinen tiketti" not in body


def test_unknown_rules_are_404(client, admin_user):
    client.force_login(admin_user)
    assert client.get(reverse("rules:trigger-edit", args=[999999])).status_code == 404
    assert client.post(reverse("rules:time-active", args=[999999])).status_code == 404
    assert Ticket.objects.count() == 0
