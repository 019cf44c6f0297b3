"""Settings → SLA policies: targets in hours and minutes, conditions, order."""

from __future__ import annotations

from django.urls import reverse

from tiski.sla.models import Calendar, SlaPolicy
from tiski.sla.services import matching_policy

from .conftest import last_change

NEW = reverse("setup:sla-policy-new")


def data(calendar: Calendar, **extra) -> dict:
    return {
        "name": "Yritysasiakkaat",
        "active": "on",
        "calendar": str(calendar.pk),
        "warn_before_minutes": "60",
        **extra,
    }


def calendar() -> Calendar:
    return Calendar.objects.create(name="Arki", weekly_hours={"0": "08:00-16:00"})


def test_agent_gets_403(agent_client, db):
    assert agent_client.get(reverse("setup:sla-policies")).status_code == 403
    assert agent_client.get(NEW).status_code == 403


def test_targets_in_hours_and_minutes_and_conditions_are_saved(
    admin_client, admin, make_team, make_ticket
):
    team = make_team("Yritysmyynti")
    cal = calendar()
    response = admin_client.post(
        NEW,
        data(
            cal,
            t_urgent_first_reply_h="1",
            t_urgent_first_reply_m="30",
            t_urgent_resolution_h="8",
            t_normal_first_reply_m="45",
            match_priorities=["urgent", "normal"],
            match_channels=["email"],
            match_teams=[str(team.pk)],
            tags="VIP, Sopimus asiakas",
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    policy = SlaPolicy.objects.get(name="Yritysasiakkaat")
    assert policy.targets == {
        "urgent": {"first_reply": 90, "resolution": 480},
        "normal": {"first_reply": 45},
    }
    assert policy.match_priorities == ["urgent", "normal"]
    assert policy.match_tags == ["vip", "sopimus-asiakas"]
    assert list(policy.match_teams.all()) == [team]
    # New policies go last, after the shipped catch-all.
    assert policy.position == max(SlaPolicy.objects.values_list("position", flat=True))
    change = last_change("sla_policies")
    assert change.action == "created" and change.actor == admin
    assert change.changes["targets"][1] == policy.targets
    assert change.changes["match_tags"] == [[], ["vip", "sopimus-asiakas"]]
    # The edit page shows the targets as typed.
    page = admin_client.get(reverse("setup:sla-policy-edit", args=[policy.pk])).content.decode()
    assert 'name="t_urgent_first_reply_h" value="1"' in page
    assert 'name="t_urgent_first_reply_m" value="30"' in page
    # What the form saved is what matching reads.
    ticket = make_ticket(priority="urgent", team=team)
    assert matching_policy(ticket, [policy], tags={"vip"}) == policy
    assert matching_policy(ticket, [policy], tags={"muu"}) is None


def test_wrong_minutes_and_no_targets_are_explained(admin_client, db):
    cal = calendar()
    response = admin_client.post(NEW, data(cal, t_high_first_reply_m="90"))
    assert response.status_code == 400
    assert "Minutes go from 0 to 59: write 1 h 30 min, not 90 min." in response.content.decode()
    response = admin_client.post(NEW, data(cal))
    assert "Give at least one target, e.g. a first reply within 8 hours." in (
        response.content.decode()
    )
    assert not SlaPolicy.objects.filter(name="Yritysasiakkaat").exists()


def test_moving_a_policy_up_changes_which_matches_first(admin_client, admin, db):
    cal = calendar()
    SlaPolicy.objects.all().delete()
    first = SlaPolicy.objects.create(name="A", calendar=cal, position=1, targets={})
    second = SlaPolicy.objects.create(name="B", calendar=cal, position=2, targets={})
    admin_client.post(reverse("setup:sla-policy-move", args=[second.pk]), {"direction": "up"})
    assert list(SlaPolicy.objects.values_list("name", flat=True)) == ["B", "A"]
    change = last_change("sla_policies")
    assert change.object_label == "B" and change.changes == {"position": [2, 1]}
    # The first one cannot move further up.
    admin_client.post(reverse("setup:sla-policy-move", args=[second.pk]), {"direction": "up"})
    assert list(SlaPolicy.objects.values_list("name", flat=True)) == ["B", "A"]
    assert first.pk
