"""Finding and replacing the records rules name, from the parameters' references."""

from __future__ import annotations

from tiski.rules import references

CONDITIONS = {
    "all": [
        {"type": "tags", "op": "contains", "tags": ["lasku", "vip"]},
        {"type": "status", "op": "equals", "value": "open"},
    ],
    "any": [{"none": [{"type": "tags", "op": "not_contains", "tags": ["Lasku"]}]}],
    "none": [{"type": "text", "field": "subject", "op": "contains", "value": "lasku"}],
}
ACTIONS = [
    {"type": "add_tags", "tags": ["lasku"]},
    {"type": "remove_tags", "tags": ["muu", "laskutus"]},
    {"type": "set_team", "team": 7},
    {"type": "notify", "to": [7, 8], "text": "Katso"},
]


def test_uses_follow_the_references_into_nested_groups():
    assert references.uses("condition", CONDITIONS, "tag", "LASKU") == ["tags", "tags"]
    assert references.uses("action", ACTIONS, "tag", "lasku") == ["add_tags"]
    # A text condition mentioning the word is not a use of the tag.
    assert references.uses("condition", CONDITIONS, "tag", "open") == []
    assert references.uses("action", ACTIONS, "team", 7) == ["set_team"]
    assert references.uses("action", ACTIONS, "agent", 8) == ["notify"]


def test_replace_changes_only_the_referencing_values():
    conditions, changed = references.replace("condition", CONDITIONS, "tag", "lasku", "laskutus")
    assert changed
    assert conditions["all"][0]["tags"] == ["laskutus", "vip"]
    assert conditions["any"][0]["none"][0]["tags"] == ["laskutus"]
    assert conditions["none"] == CONDITIONS["none"]  # the text condition is left alone
    assert CONDITIONS["all"][0]["tags"] == ["lasku", "vip"]  # the input is not changed

    actions, changed = references.replace("action", ACTIONS, "tag", "lasku", "laskutus")
    assert changed
    assert actions[0]["tags"] == ["laskutus"]
    # "laskutus" was already there: a list keeps it once.
    assert references.replace("action", ACTIONS, "tag", "muu", "laskutus")[0][1]["tags"] == [
        "laskutus"
    ]
    assert actions[2:] == ACTIONS[2:]


def test_nothing_to_replace_says_so():
    assert references.replace("action", ACTIONS, "tag", "tuntematon", "x") == (ACTIONS, False)
    # Unknown types and broken JSON are kept as they are.
    broken = {"all": [{"type": "gone", "tags": ["lasku"]}, "nonsense"]}
    assert references.replace("condition", broken, "tag", "lasku", "x") == (broken, False)
