"""What the desk pages write in Python or read once gives the markup the
templates and querysets gave: the inbox filter form's options, the side
panel's selects from the request's lists, the child-ticket card."""

from __future__ import annotations

import pytest
from django import forms
from django.db import connection
from django.template import Context, Template
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils.translation import gettext_lazy

from tests.conftest import PASSWORD
from tiski.accounts.models import Role, Team, User
from tiski.core import config_cache
from tiski.desk.forms import RememberedModelChoiceField
from tiski.desk.widgets import FastSelect, filter_options
from tiski.tickets import actions
from tiski.tickets.models import Via

pytestmark = pytest.mark.django_db

LOOP = Template(
    "{% for value, label in choices %}"
    '<option value="{{ value }}" {% if value in selected %}selected{% endif %}>{{ label }}</option>'
    "{% endfor %}"
)
SORT_LOOP = Template(
    "{% for key, label in choices %}"
    '<option value="{{ key }}" {% if key == sort %}selected{% endif %}>{{ label }}</option>'
    "{% endfor %}"
)
CHOICES = [
    ("open", gettext_lazy("Open")),
    ('"><b>', "Tuki & <i>myynti</i>"),
    ("12", "Aino <Agentti>"),
    ("none", "Ei tiimiä"),
]


@pytest.mark.parametrize("selected", [[], ["open"], ["12", "none"], ['"><b>'], ["ope"]])
def test_filter_options_write_what_the_template_loop_wrote(selected):
    expected = LOOP.render(Context({"choices": CHOICES, "selected": selected}))
    assert filter_options(CHOICES, selected) == expected


@pytest.mark.parametrize("sort", ["open", "12", "x", ""])
def test_the_sort_options_select_the_one_value_as_the_loop_did(sort):
    """The sort is one value, compared whole (not "is in" as a substring)."""
    expected = SORT_LOOP.render(Context({"choices": CHOICES, "sort": sort}))
    rendered = Template("{% load desk_filters %}{% filter_options choices sort %}").render(
        Context({"choices": CHOICES, "sort": sort})
    )
    assert rendered == expected


def test_remembered_choices_render_and_validate_as_the_queryset_did(make_user, make_team):
    """The options come from the list; a submitted value is still checked
    against the queryset (an agent deactivated since is refused)."""
    agents = [make_user(name=f"Agentti <{n}>") for n in range(3)]
    make_user(name="Poissa", is_active=False)
    queryset = User.objects.filter(is_active=True).order_by("name")
    plain = forms.ModelChoiceField(queryset=queryset, widget=FastSelect, empty_label="—")
    remembered = RememberedModelChoiceField(
        lambda: list(queryset), queryset=queryset, widget=FastSelect, empty_label="—"
    )
    for value in (None, agents[1].pk):
        assert remembered.widget.render("a", value) == plain.widget.render("a", value)
    assert len(remembered.choices) == len(plain.choices) == queryset.count() + 1
    assert remembered.clean(str(agents[0].pk)) == agents[0]
    agents[2].is_active = False
    agents[2].save()
    with pytest.raises(forms.ValidationError):
        remembered.clean(str(agents[2].pk))


def _queries(client: Client, url: str) -> tuple[str, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return response.content.decode(), [q["sql"] for q in captured.captured_queries]


def test_ticket_page_reads_agents_teams_and_types_once(make_user, make_team, make_ticket):
    """The side panel's assignee, team and type selects and the escalation
    form share the request's lists: one query each, not one per select."""
    agent = make_user(name="Aino Agentti")
    for n in range(3):
        make_team(name=f"Tiimi {n}").members.add(agent)
    client = Client()
    client.login(email=agent.email, password=PASSWORD)
    ticket = make_ticket()
    client.get(ticket.get_absolute_url())
    config_cache.clear()  # the lists read, not kept from the request before
    page, queries = _queries(client, ticket.get_absolute_url())
    users = [q for q in queries if 'FROM "accounts_user" WHERE "accounts_user"."is_active"' in q]
    team_list = 'SELECT "accounts_team"."id", "accounts_team"."name"'
    teams = [q for q in queries if q.startswith(team_list)]
    assert len(users) == 1 and '"accounts_user"."password"' not in users[0]
    assert len(teams) == 1
    assert sum('FROM "tickets_tickettype"' in q for q in queries) == 1
    assert f'<option value="{agent.pk}">Aino Agentti</option>' in page
    for team in Team.objects.all():
        assert f'<option value="{team.pk}">{team.name}</option>' in page


def test_child_card_without_children_is_one_narrow_query(make_user, make_ticket):
    agent = make_user()
    client = Client()
    client.force_login(agent)
    ticket = make_ticket()
    client.get(ticket.get_absolute_url())
    page, queries = _queries(client, ticket.get_absolute_url())
    children = [q for q in queries if '"tickets_ticket"."parent_id" =' in q]
    assert len(children) == 1 and "COUNT" not in children[0]
    assert 'id="child-tickets"' not in page


def test_child_card_counts_the_open_children_the_viewer_cannot_see(
    make_user, make_team, make_ticket
):
    """A visible child is listed; an open one in a restricted team is only
    counted; a solved hidden one is neither."""
    agent = make_user(language="en")
    own = make_team(name="Oma")
    own.members.add(agent)
    secret = make_team(name="Salainen", restricted=True)
    parent = make_ticket(subject="Iso tilaus", team=own)
    shown = actions.create_child_ticket(parent, subject="Näkyvä", actor=None, via=Via.SYSTEM)
    hidden = [
        actions.create_child_ticket(parent, subject=f"Piilossa {n}", actor=None, via=Via.SYSTEM)
        for n in range(2)
    ]
    for child in hidden:
        actions.update_ticket(child, actor=None, via=Via.SYSTEM, team=secret)
    actions.update_ticket(hidden[1], actor=None, via=Via.SYSTEM, status="solved")
    client = Client()
    client.force_login(agent)
    page = client.get(parent.get_absolute_url()).content.decode()
    assert f'data-child="{shown.number}"' in page
    assert "Piilossa" not in page
    assert 'data-hidden-open="1"' in page
    admin = make_user(role=Role.ADMIN)
    client.force_login(admin)
    page = client.get(parent.get_absolute_url()).content.decode()
    assert page.count("data-child=") == 3 and "data-hidden-open" not in page
