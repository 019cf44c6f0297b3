"""A rule type is one class: its parameters describe themselves, the builder
reads nothing else, and evaluation works from the same class."""

from __future__ import annotations

import re
from typing import Literal

import pytest
from django.utils.translation import gettext_lazy

from tiski.rules import builder, registry
from tiski.rules.actions import ActionContext, ActionOutcome
from tiski.rules.facts import TicketFacts
from tiski.rules.params import param, param_info
from tiski.rules.registry import ACTIONS, CONDITIONS, ActionKind, ConditionKind

from .helpers import NOW, make_facts

ROW_URL = "/settings/rules/builder/row/"
loaded: list[str] = []


def channel_groups() -> list[tuple[str, str]]:
    """A dynamic option source: counts its calls, like a database query would."""
    loaded.append("channel groups")
    return [("voice", "Voice channels"), ("text", "Written channels")]


@pytest.fixture
def channel_group_condition():
    """A condition type defined here, in one class, and forgotten afterwards."""

    class ChannelGroup(ConditionKind):
        type_name = "test_channel_group"
        label = gettext_lazy("Channel group")

        group: Literal["voice", "text"] = param(
            label=gettext_lazy("Group"),
            help="Phone is voice; the rest is text.",
            options=channel_groups,
        )
        negate: bool = param(
            False,
            label=gettext_lazy("Match"),
            options={False: "in the group", True: "outside the group"},
        )

        def matches(self, facts: TicketFacts) -> bool:
            voice = facts.channel == "phone"
            return (voice == (self.group == "voice")) != self.negate

    loaded.clear()
    yield ChannelGroup
    registry.unregister("test_channel_group", part="condition")


@pytest.fixture
def stamp_action():
    class Stamp(ActionKind):
        type_name = "test_stamp"
        label = "Stamp the ticket"
        word: str = param(label="Word")

        def apply(self, context: ActionContext) -> ActionOutcome:
            return ActionOutcome(skipped=[f"{self.word} {context.ticket}"])

    yield Stamp
    registry.unregister("test_stamp", part="action")


def test_a_condition_class_registers_itself_and_evaluates(channel_group_condition):
    kind = CONDITIONS["test_channel_group"]
    assert kind.params is channel_group_condition and str(kind.label) == "Channel group"
    group = registry.compile_conditions({"all": [{"type": "test_channel_group", "group": "voice"}]})
    assert group.matches(make_facts(channel="phone"))
    assert not group.matches(make_facts(channel="email"))
    outside = registry.compile_conditions(
        {"any": [{"type": "test_channel_group", "group": "voice", "negate": True}]}
    )
    assert outside.matches(make_facts(channel="email"))
    # Without an ORM translation the time pass checks it in Python.
    assert group.to_q(NOW, make_facts().calendar)[1] is False


def test_a_condition_class_is_validated_like_the_built_in_ones(channel_group_condition):
    with pytest.raises(registry.RuleDefinitionError, match="group"):
        registry.compile_conditions({"all": [{"type": "test_channel_group", "group": "fax"}]})


def test_the_builder_offers_the_new_condition_with_its_labels_and_options(
    channel_group_condition,
):
    choices = {c.name: str(c.label) for c in builder.type_choices("condition")}
    assert choices["test_channel_group"] == "Channel group"
    cache = builder.ChoiceCache()
    specs = {s.name: s for s in builder.param_specs("condition", "test_channel_group", {}, cache)}
    assert str(specs["group"].label) == "Group"
    assert specs["group"].help == "Phone is voice; the rest is text."
    assert [(c.value, c.label) for c in specs["group"].choices] == [
        ("voice", "Voice channels"),
        ("text", "Written channels"),
    ]
    assert [(c.value, c.label) for c in specs["negate"].choices] == [
        (True, "outside the group"),
        (False, "in the group"),
    ]
    # A second row in the same request reads the source from the cache.
    builder.param_specs("condition", "test_channel_group", {}, cache)
    assert loaded == ["channel groups"]


@pytest.mark.django_db
def test_the_row_partial_draws_the_new_condition(client, admin_user, channel_group_condition):
    admin_user.language = "en"
    admin_user.save()
    client.force_login(admin_user)
    html = client.get(
        ROW_URL,
        {"part": "condition", "key": "k1", "reset": "1", "k1-type": "test_channel_group"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert '<option value="test_channel_group" selected>Channel group</option>' in html
    assert re.search(r'<option value="voice"[^>]*>Voice channels</option>', html)
    assert 'title="Phone is voice; the rest is text."' in html


@pytest.mark.django_db
def test_a_posted_rule_with_the_new_condition_saves(admin_user, channel_group_condition):
    from tiski.rules import services

    rule = services.save_rule(
        "trigger",
        actor=admin_user,
        name="Puhelut",
        active=True,
        events=["ticket_created"],
        conditions={"all": [{"type": "test_channel_group", "group": "voice"}]},
        actions=[{"type": "add_tags", "tags": ["puhelu"]}],
    )
    assert rule.pk and rule.conditions["all"][0]["group"] == "voice"


def test_an_action_class_registers_itself_and_applies(stamp_action):
    assert str(ACTIONS["test_stamp"].label) == "Stamp the ticket"
    assert "test_stamp" in {c.name for c in builder.type_choices("action")}
    [action] = registry.compile_actions([{"type": "test_stamp", "word": "seen"}])
    context = ActionContext(ticket="#1001", facts=make_facts(), rule_name="r", now=NOW)  # type: ignore[arg-type]
    assert action.apply(context).skipped == ["seen #1001"]


def test_every_built_in_parameter_describes_itself():
    """No parameter is left to a table elsewhere: each has a label of its own."""
    missing = [
        f"{kind.name}.{name}"
        for kind in [*CONDITIONS.values(), *ACTIONS.values()]
        for name in kind.params.model_fields
        if param_info(kind.params, name) is None or not str(param_info(kind.params, name).label)
    ]
    assert missing == []
