"""The sandboxed renderer substitutes the allow-list and nothing else."""

from __future__ import annotations

import pytest

from tiski.core.placeholders import render, ticket_values, unknown_placeholders

VALUES = {
    "ticket.number": "1042",
    "ticket.subject": "Lasku",
    "ticket.url": "https://tiski.example.fi/t/1042/",
    "requester.first_name": "Maija",
    "requester.name": "Maija Meikäläinen",
    "agent.name": "Antti",
    "organisation.name": "Oy Esimerkki Ab",
}


def test_allowed_placeholders_are_substituted_with_or_without_spaces():
    text = "Hei {{ requester.first_name }}, tiketti #{{ticket.number}} ({{  agent.name }})"
    assert render(text, VALUES) == "Hei Maija, tiketti #1042 (Antti)"


@pytest.mark.parametrize(
    "template",
    [
        "{{ ticket.requester.__class__ }}",
        "{{ settings.SECRET_KEY }}",
        "{{ ticket.requester.notes }}",
        "{{ ticket.number|add:1 }}",
        "{{ ticket.__dict__ }}",
        "{{ requester.emails }}",
        "{{ ''.__class__.__mro__ }}",
        "{{ ticket.subject.upper }}",
    ],
)
def test_anything_else_renders_empty(template):
    """No attribute walking, filters or expressions: only whole allow-listed names."""
    assert render(f"x{template}y", VALUES) == "xy"


def test_django_template_tags_are_plain_text():
    text = "{% load static %}{% debug %}"
    assert render(text, VALUES) == text


def test_values_that_are_not_strings_are_never_rendered():
    class Sneaky:
        def __str__(self) -> str:
            return "secret"

    assert render("{{ ticket.subject }}", {"ticket.subject": Sneaky()}) == ""  # type: ignore[dict-item]


def test_unknown_placeholders_are_reported_for_validation():
    assert unknown_placeholders("{{ ticket.number }} {{ settings.SECRET_KEY }}") == [
        "settings.SECRET_KEY"
    ]


def test_ticket_values_are_plain_strings(make_ticket, make_user, settings):
    settings.TISKI_BASE_URL = "https://tiski.example.fi/"
    agent = make_user(name="Antti Agentti")
    ticket = make_ticket(subject="Tilaus", assignee=agent)
    values = ticket_values(ticket, settings.TISKI_BASE_URL)
    assert all(isinstance(value, str) for value in values.values())
    assert values["requester.first_name"] == "Maija"
    assert values["agent.name"] == "Antti Agentti"
    assert values["organisation.name"] == ""
    assert values["ticket.url"] == f"https://tiski.example.fi{ticket.get_absolute_url()}"


def _render_by_pattern(template, values, *, allowed, keep_unknown):
    """The renderer as it was: the pattern matched again on every call."""
    from tiski.core.placeholders import PLACEHOLDER

    def substitute(match):
        space, name = match.group(1), match.group(2).strip()
        if name not in allowed:
            return match.group(0) if keep_unknown else space
        value = values.get(name, "")
        value = value if isinstance(value, str) else ""
        return f"{space}{value}" if value else ""

    return PLACEHOLDER.sub(substitute, template or "")


@pytest.mark.parametrize(
    "template",
    [
        "",
        "plain text",
        "Hei {{ requester.first_name }}, tiketti #{{ticket.number}} ({{  agent.name }})",
        "{{ ticket.number }}{{ ticket.subject }}",
        " {{ requester.first_name }} {{ organisation.name }} ",
        "Hei {{ requester.first_name }},\n{{ nope }} {{ ticket.url }}.",
        "{{ unclosed and {{ ticket.number }} }}",
        "{{" + "x" * 120 + "}} {{ ticket.subject }}",
        "{{\nticket.number\n}} {{}} {{ }}",
        "{{ ticket.number }}}} {{{ ticket.subject }}",
    ],
)
@pytest.mark.parametrize("keep_unknown", [False, True])
def test_rendering_from_the_cut_template_equals_matching_each_time(template, keep_unknown):
    """The template is cut at its placeholders once and filled per ticket:
    the text is the one the pattern substitution gives, empty values,
    unknown names and stray braces included."""
    values = {**VALUES, "requester.first_name": "", "organisation.name": ""}
    for allowed in (("ticket.number", "ticket.subject", "requester.first_name"), values.keys()):
        assert render(
            template, values, allowed=allowed, keep_unknown=keep_unknown
        ) == _render_by_pattern(template, values, allowed=allowed, keep_unknown=keep_unknown)
