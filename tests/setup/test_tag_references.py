"""Settings → Tags and the rules and ready answers that name a tag (#13):
a rename or merge carries over to them, a delete lists them first."""

from __future__ import annotations

from django.urls import reverse

from tiski.macros.models import Macro
from tiski.rules.models import TimeRule, Trigger
from tiski.setup.models import SettingChange
from tiski.tickets import actions
from tiski.tickets.models import Tag, Via


def tagged_rules() -> tuple[Trigger, TimeRule, Macro]:
    trigger = Trigger.objects.create(
        name="Laskut talouteen",
        events=["ticket_created"],
        conditions={
            "all": [{"type": "tags", "op": "contains", "tags": ["lasku"]}],
            "any": [{"all": [{"type": "status", "op": "equals", "value": "open"}]}],
        },
        actions=[{"type": "add_tags", "tags": ["talous"]}],
    )
    time_rule = TimeRule.objects.create(
        name="Vanhat laskut",
        conditions={
            "all": [{"type": "hours_since", "since": "created", "hours": 48}],
        },
        actions=[{"type": "remove_tags", "tags": ["lasku", "kiire"]}],
    )
    macro = Macro.objects.create(
        name="Laskukopio", shortcut="lasku", text_fi="Liitteenä lasku.", add_tags=["lasku", "vip"]
    )
    return trigger, time_rule, macro


def lasku(make_ticket) -> Tag:
    actions.set_tags(make_ticket(), ["lasku"], actor=None, via=Via.SYSTEM)
    return Tag.objects.get(name="lasku")


def test_renaming_a_tag_renames_it_in_rules_and_ready_answers(admin_client, make_ticket):
    trigger, time_rule, macro = tagged_rules()
    tag = lasku(make_ticket)
    response = admin_client.post(
        reverse("setup:tag", args=[tag.pk]), {"action": "rename", "name": "Laskutus"}, follow=True
    )
    assert "3 rules and ready answers now use the new name" in response.content.decode()
    trigger.refresh_from_db()
    time_rule.refresh_from_db()
    macro.refresh_from_db()
    assert trigger.conditions["all"][0]["tags"] == ["laskutus"]
    assert trigger.conditions["any"] == [
        {"all": [{"type": "status", "op": "equals", "value": "open"}]}
    ]
    assert trigger.actions == [{"type": "add_tags", "tags": ["talous"]}]
    assert time_rule.actions == [{"type": "remove_tags", "tags": ["laskutus", "kiire"]}]
    assert macro.add_tags == ["laskutus", "vip"]
    # Each change is in the change log, under its own section.
    assert SettingChange.objects.filter(section="triggers", action="changed").count() == 1
    assert SettingChange.objects.filter(section="time_rules", action="changed").count() == 1
    logged = SettingChange.objects.get(section="macros")
    assert logged.changes == {"add_tags": [["lasku", "vip"], ["laskutus", "vip"]]}


def test_merging_a_tag_points_rules_at_the_target_once(admin_client, make_ticket):
    trigger, time_rule, macro = tagged_rules()
    tag = lasku(make_ticket)
    actions.set_tags(make_ticket(), ["kiire"], actor=None, via=Via.SYSTEM)
    admin_client.post(reverse("setup:tag", args=[tag.pk]), {"action": "merge", "target": "kiire"})
    assert not Tag.objects.filter(name="lasku").exists()
    trigger.refresh_from_db()
    time_rule.refresh_from_db()
    macro.refresh_from_db()
    assert trigger.conditions["all"][0]["tags"] == ["kiire"]
    assert time_rule.actions == [{"type": "remove_tags", "tags": ["kiire"]}]
    assert macro.add_tags == ["kiire", "vip"]


def test_a_tag_in_use_lists_its_rules_and_ready_answers_before_deleting(admin_client, make_ticket):
    trigger, time_rule, macro = tagged_rules()
    tag = lasku(make_ticket)
    page = admin_client.get(reverse("setup:tag", args=[tag.pk])).content.decode()
    assert 'id="tag-uses"' in page
    for rule, url in (
        (trigger, reverse("rules:trigger-edit", args=[trigger.pk])),
        (time_rule, reverse("rules:time-edit", args=[time_rule.pk])),
        (macro, reverse("setup:macro-edit", args=[macro.pk])),
    ):
        assert f'<a href="{url}">{rule.name}</a>' in page
    assert "3 rules and ready answers use this tag" in page

    response = admin_client.post(
        reverse("setup:tag", args=[tag.pk]), {"action": "delete", "confirm": "1"}, follow=True
    )
    shown = response.content.decode()
    assert "These still name lasku" in shown and "Laskukopio" in shown
    # Deleting does not edit them.
    trigger.refresh_from_db()
    macro.refresh_from_db()
    assert trigger.conditions["all"][0]["tags"] == ["lasku"]
    assert macro.add_tags == ["lasku", "vip"]


def test_a_tag_nobody_names_shows_no_list(admin_client, make_ticket):
    tagged_rules()
    actions.set_tags(make_ticket(), ["muu"], actor=None, via=Via.SYSTEM)
    tag = Tag.objects.get(name="muu")
    page = admin_client.get(reverse("setup:tag", args=[tag.pk])).content.decode()
    assert 'id="tag-uses"' not in page
